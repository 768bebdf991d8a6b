//! Counting the raw public keys in charon's credential store by reading its memory
//! through /proc/PID/mem, without stopping it or running anything inside it.
//!
//! (On this machine gdb cannot call functions inside a process — "Couldn't write
//! extended state status" on CPUs with AMX — so the enumerator approach is out.)
//!
//! What is used of the layout, checked on both releases (5.9.8 and 6.0.1): a
//! `pubkey_cert` object is a heap block that starts with its method pointers — the 12
//! of `certificate_t`, plus `set_subject` in 5.9.8 (13), gone in 6.0.1 (12) — which
//! point into the executable mapping of `libstrongswan-pubkey.so`, followed by the key
//! pointer (data, not code); glibc's chunk header before it says 160 bytes (a 152- or
//! 144-byte request), or 176 when malloc handed out a whole free chunk because the
//! remainder would have been smaller than its 32-byte minimum (seen on 6.0.1: one
//! object in eight, missed while only 160 was accepted). A `linked_list_t` node is a
//! 24-byte block `{ value, previous, next }` (chunk size 32, or 48 by the same rule)
//! whose `previous` and `next` are NULL or other node-sized blocks. Only blocks that
//! start a glibc chunk in use count (the private `chunks` module walks the heaps): a
//! block freed into a tcache or a bin has its first words overwritten by the
//! allocator, but a long-lived heap also keeps stale copies of freed blocks inside
//! larger free chunks, with their old header and contents intact; [`StoreScan::stale`]
//! counts those the scan rejected. charon keeps running while its memory is copied, so
//! a copy can be torn by an allocation made meanwhile; the walk detects that, and the
//! copy is read again (a bounded number of times, [`StoreScan::reads`]).
//!
//! Each stored object's subject is read too: the object's fields after the methods
//! are `key, issuer, subject, …` (`private_pubkey_cert_t`, the same in 5.9.8 and
//! 6.0.1), and `private_identification_t` is its 9 methods, then `chunk_t encoded`
//! (pointer, length) and `id_type_t type` ([`RawSubject`]). The store is the only user of
//! linked lists of raw-key certs between commands (loaded configurations keep theirs
//! in arrays), so the nodes that point to raw-key objects are the store's list nodes,
//! two per stored object. The run-length of method pointers is read, not assumed, so
//! the same scan serves both releases; [`StoreScan::methods`] reports it.

mod chunks;

use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Read, Seek, SeekFrom};

/// What [`scan_store`] found in charon's heap.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StoreScan {
    /// Live `pubkey_cert` objects (raw public keys wrapped as certificates), wherever
    /// they are referenced from (the store, loaded configurations).
    pub live_objects: usize,
    /// Linked-list nodes whose value is one of them: the store keeps every cert in
    /// its `untrusted` and its `trusted` list, one node each.
    pub list_nodes: usize,
    /// Distinct objects those nodes point to: the stored raw public keys.
    pub stored_objects: usize,
    /// How many method pointers the objects start with (13 on 5.9.8, 12 on 6.0.1;
    /// 0 when there was no object).
    pub methods: usize,
    /// The subject of each stored object (one per object, in address order).
    pub subjects: Vec<RawSubject>,
    /// Blocks that look like an object or a list node but are not the start of a chunk
    /// in use: stale copies inside free memory, not counted.
    pub stale: usize,
    /// How many copies of charon's memory were read until one walked (charon runs
    /// while it is read: a copy can be torn; see the private `chunks::consistent`).
    pub reads: usize,
}

/// A stored object's subject as charon holds it: `identification_t`'s type and
/// encoding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RawSubject {
    /// `id_type_t` (1 IPv4, 2 FQDN, 3 RFC 822, 5 IPv6, 9 DN, 11 key id, …).
    pub id_type: u32,
    /// The encoding (`get_encoding`): the address bytes, the name, the DN's DER.
    pub encoding: Vec<u8>,
}

/// One line of /proc/PID/maps.
#[derive(Clone, Debug)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Permissions (`r-xp`, ...).
    pub perms: String,
    /// File offset of `start`.
    pub offset: u64,
    /// Mapped file, or a pseudo name, or empty.
    pub path: String,
}

/// The mappings of process `pid`.
pub fn mappings(pid: u32) -> Result<Vec<Mapping>> {
    let path = format!("/proc/{pid}/maps");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (range, perms, offset) = (f.next()?, f.next()?, f.next()?);
            let path = f.nth(2).unwrap_or("").to_string();
            let (a, b) = range.split_once('-')?;
            Some(Mapping {
                start: u64::from_str_radix(a, 16).ok()?,
                end: u64::from_str_radix(b, 16).ok()?,
                perms: perms.to_string(),
                offset: u64::from_str_radix(offset, 16).ok()?,
                path,
            })
        })
        .collect())
}

/// The load base of a mapped file (start of its mapping at file offset 0).
pub fn load_base(maps: &[Mapping], file_suffix: &str) -> Option<u64> {
    maps.iter()
        .filter(|m| m.path.ends_with(file_suffix) && m.offset == 0)
        .map(|m| m.start)
        .min()
}

struct Memory {
    code: Vec<(u64, u64)>,
    pubkey_code: Vec<(u64, u64)>,
    heap: Vec<(u64, Vec<u64>)>,
    /// The index of `[heap]` in `heap`.
    main_heap: Option<usize>,
}

fn in_any(v: u64, ranges: &[(u64, u64)]) -> bool {
    ranges.iter().any(|&(a, b)| v >= a && v < b)
}

fn read_memory(pid: u32, maps: &[Mapping]) -> Result<Memory> {
    // Executable file mappings (under valgrind the client's anonymous memory is
    // mapped executable too: it is not code).
    let code: Vec<(u64, u64)> = maps
        .iter()
        .filter(|m| m.perms.contains('x') && m.path.starts_with('/'))
        .map(|m| (m.start, m.end))
        .collect();
    let pubkey_code: Vec<(u64, u64)> = maps
        .iter()
        .filter(|m| m.perms.contains('x') && m.path.ends_with("libstrongswan-pubkey.so"))
        .map(|m| (m.start, m.end))
        .collect();
    if pubkey_code.is_empty() {
        bail!("libstrongswan-pubkey.so is not mapped in charon");
    }
    let path = format!("/proc/{pid}/mem");
    let mut mem = std::fs::File::open(&path).with_context(|| format!("cannot open {path}"))?;
    let mut heap = Vec::new();
    let mut main_heap = None;
    for m in maps
        .iter()
        .filter(|m| m.perms.starts_with("rw") && (m.path.is_empty() || m.path == "[heap]"))
    {
        let mut buf = vec![0u8; (m.end - m.start) as usize];
        if mem.seek(SeekFrom::Start(m.start)).is_err() || mem.read_exact(&mut buf).is_err() {
            continue;
        }
        let words = buf
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        if m.path == "[heap]" {
            main_heap = Some(heap.len());
        }
        heap.push((m.start, words));
    }
    Ok(Memory {
        code,
        pubkey_code,
        heap,
        main_heap,
    })
}

/// A run of method pointers at `words[i..]`: its length when it looks like a
/// pubkey_cert (12 or 13 code pointers, at least 10 into the pubkey plugin, then a
/// non-code word).
fn method_run(m: &Memory, words: &[u64], i: usize) -> Option<usize> {
    if !in_any(words[i], &m.pubkey_code) {
        return None;
    }
    let n = words[i..]
        .iter()
        .take(14)
        .take_while(|&&w| in_any(w, &m.code))
        .count();
    if !(12..=13).contains(&n) || i + n >= words.len() {
        return None;
    }
    let in_pubkey = words[i..i + n]
        .iter()
        .filter(|&&w| in_any(w, &m.pubkey_code))
        .count();
    (in_pubkey >= 10).then_some(n)
}

/// Chunk sizes (glibc's size field without its flag bits) that a request of
/// `request` bytes can occupy: the rounded size, or 16 more when a free chunk was
/// handed out whole.
fn chunk_sizes(request: u64) -> [u64; 2] {
    let rounded = (request + 8 + 15) & !15;
    [rounded.max(32), rounded.max(32) + 16]
}

fn header_is(word: u64, sizes: [u64; 2]) -> bool {
    sizes.contains(&(word & !7))
}

/// Counts the raw public keys in the credential store of charon `pid` and reads their
/// subjects (see the module docs).
pub fn scan_store(pid: u32) -> Result<StoreScan> {
    let (m, used, reads) = chunks::consistent(|| read_memory(pid, &mappings(pid)?))?;
    let object_sizes = chunk_sizes(152);
    let node_sizes = chunk_sizes(24);
    let mut objects = HashSet::new();
    let mut methods = 0;
    let mut node_blocks = HashSet::new();
    for (base, words) in &m.heap {
        for i in 1..words.len() {
            if header_is(words[i - 1], node_sizes) {
                node_blocks.insert(base + 8 * i as u64);
            }
            if i + 14 >= words.len() || !header_is(words[i - 1], object_sizes) {
                continue;
            }
            if let Some(n) = method_run(&m, words, i) {
                objects.insert(base + 8 * i as u64);
                methods = n;
            }
        }
    }
    // Only what starts a chunk in use counts: a long-lived heap keeps stale copies of
    // freed blocks inside free chunks, whose contents match as well as live ones.
    let mut stale = objects.len();
    objects.retain(|o| used.contains(o));
    stale -= objects.len();
    node_blocks.retain(|n| used.contains(n));
    let linked = |w: u64| w == 0 || node_blocks.contains(&w);
    let mut nodes = 0;
    let mut pointed = BTreeSet::new();
    for (base, words) in &m.heap {
        for i in 1..words.len().saturating_sub(2) {
            if header_is(words[i - 1], node_sizes)
                && objects.contains(&words[i])
                && linked(words[i + 1])
                && linked(words[i + 2])
            {
                if node_blocks.contains(&(base + 8 * i as u64)) {
                    nodes += 1;
                    pointed.insert(words[i]);
                } else {
                    stale += 1;
                }
            }
        }
    }
    let mut mem = Mem::open(pid)?;
    let subjects = pointed
        .iter()
        .map(|&object| mem.subject(object + 8 * (methods as u64 + 2)))
        .collect::<Result<Vec<_>>>()?;
    Ok(StoreScan {
        live_objects: objects.len(),
        list_nodes: nodes,
        stored_objects: pointed.len(),
        methods,
        subjects,
        stale,
        reads,
    })
}

/// Random reads of another process's memory.
struct Mem {
    file: std::fs::File,
}

impl Mem {
    fn open(pid: u32) -> Result<Mem> {
        let path = format!("/proc/{pid}/mem");
        let file = std::fs::File::open(&path).with_context(|| format!("cannot open {path}"))?;
        Ok(Mem { file })
    }

    fn bytes(&mut self, addr: u64, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.file
            .seek(SeekFrom::Start(addr))
            .and_then(|_| self.file.read_exact(&mut buf))
            .with_context(|| format!("cannot read {len} bytes at {addr:#x} of charon"))?;
        Ok(buf)
    }

    fn word(&mut self, addr: u64) -> Result<u64> {
        let b = self.bytes(addr, 8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// The `identification_t` whose pointer is stored at `field`.
    fn subject(&mut self, field: u64) -> Result<RawSubject> {
        let id = self.word(field)?;
        let ptr = self.word(id + 9 * 8)?;
        let len = self.word(id + 10 * 8)?;
        let id_type = self.word(id + 11 * 8)? as u32;
        if len > 4096 {
            bail!("the subject at {id:#x} claims {len} bytes: not an identification_t");
        }
        let encoding = if len == 0 {
            Vec::new()
        } else {
            self.bytes(ptr, len as usize)?
        };
        Ok(RawSubject { id_type, encoding })
    }
}

/// The names of `pubkey_cert`'s methods in the order its objects store them
/// (`certificate_t`'s, then `set_subject` on pre-fix releases).
pub const PUBKEY_CERT_METHODS: [&str; 13] = [
    "get_type",
    "get_subject",
    "has_subject",
    "get_issuer",
    "has_issuer",
    "issued_by",
    "get_public_key",
    "get_validity",
    "get_encoding",
    "equals",
    "get_ref",
    "destroy",
    "set_subject",
];

/// `pubkey_cert`'s method entry points as offsets into `libstrongswan-pubkey.so`,
/// recovered from the method pointers of a live object in charon `pid` (the plugin is
/// stripped; the objects carry its function addresses). Works under valgrind too
/// (no allocator header is required). Empty when no object is live.
pub fn pubkey_methods(pid: u32) -> Result<BTreeMap<u64, &'static str>> {
    let table = pubkey_table(pid)?;
    // get_issuer/has_issuer may share get_subject's/has_subject's function: first
    // name wins.
    let mut names = BTreeMap::new();
    for (off, name) in table.into_iter().zip(PUBKEY_CERT_METHODS) {
        if let Some(off) = off {
            names.entry(off).or_insert(name);
        }
    }
    Ok(names)
}

/// The method pointers of live `pubkey_cert` objects in charon `pid`, in their order
/// in the object, as offsets into `libstrongswan-pubkey.so` (`None`: a pointer into
/// another library). The table most objects carry wins; empty when none is live.
/// Under valgrind, blocks of valgrind's own also contain code addresses: a table
/// must have at least 10 distinct entries, 16-byte aligned as the compiler places
/// functions.
pub fn pubkey_table(pid: u32) -> Result<Vec<Option<u64>>> {
    let maps = mappings(pid)?;
    let base = load_base(&maps, "libstrongswan-pubkey.so")
        .context("libstrongswan-pubkey.so is not mapped")?;
    let m = read_memory(pid, &maps)?;
    let mut votes: BTreeMap<Vec<u64>, usize> = BTreeMap::new();
    for (_, words) in &m.heap {
        for i in 1..words.len().saturating_sub(14) {
            // A table starts right after a non-code word (the allocator's header).
            if in_any(words[i - 1], &m.code) {
                continue;
            }
            if let Some(n) = method_run(&m, words, i) {
                let t = &words[i..i + n];
                let distinct: HashSet<&u64> = t.iter().collect();
                let aligned = t
                    .iter()
                    .filter(|&&a| in_any(a, &m.pubkey_code))
                    .all(|a| a % 16 == 0);
                if distinct.len() >= 10 && aligned {
                    *votes.entry(t.to_vec()).or_default() += 1;
                }
            }
        }
    }
    let Some((table, _)) = votes.into_iter().max_by_key(|(_, c)| *c) else {
        return Ok(Vec::new());
    };
    Ok(table
        .iter()
        .map(|&a| in_any(a, &m.pubkey_code).then(|| a - base))
        .collect())
}
