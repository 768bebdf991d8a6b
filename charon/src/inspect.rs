//! Reading a stripped charon from outside: its memory (/proc/PID/mem), its mappings
//! as names (`libstrongswan-pubkey.so+0x127b (set_subject+0x1b)`), strongSwan
//! identities in its heap, and the code sites the forced-schedule replay breaks at,
//! found from `pubkey_cert`'s recovered method table ([`crate::scan::pubkey_table`])
//! and the instructions at those entry points (never from symbols: there are none).

use crate::gdbmi::Gdb;
use crate::scan::{self, Mapping, PUBKEY_CERT_METHODS};
use anyhow::{anyhow, bail, Context, Result};
use std::io::{Read, Seek, SeekFrom};

/// Reads `n` little-endian words at `addr` of process `pid`.
pub fn read_words(pid: u32, addr: u64, n: usize) -> Result<Vec<u64>> {
    let bytes = read_bytes(pid, addr, n * 8)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

/// Reads `len` bytes at `addr` of process `pid`.
pub fn read_bytes(pid: u32, addr: u64, len: usize) -> Result<Vec<u8>> {
    let path = format!("/proc/{pid}/mem");
    let mut f = std::fs::File::open(&path).with_context(|| format!("cannot open {path}"))?;
    let mut buf = vec![0u8; len];
    f.seek(SeekFrom::Start(addr))
        .and_then(|_| f.read_exact(&mut buf))
        .with_context(|| format!("cannot read {len} bytes at {addr:#x} of process {pid}"))?;
    Ok(buf)
}

/// The code of a running charon: its mappings, the pubkey plugin's base and method
/// table.
pub struct Code {
    /// /proc/PID/maps when the replay started.
    pub maps: Vec<Mapping>,
    /// Load base of `libstrongswan-pubkey.so`.
    pub pubkey_base: u64,
    /// The method table of live `pubkey_cert` objects (offsets into the plugin, in the
    /// objects' order; see [`PUBKEY_CERT_METHODS`]).
    pub table: Vec<Option<u64>>,
}

impl Code {
    /// Reads the mappings and the method table of charon `pid` (a `pubkey_cert` must
    /// be live).
    pub fn read(pid: u32) -> Result<Code> {
        let maps = scan::mappings(pid)?;
        let pubkey_base = scan::load_base(&maps, "libstrongswan-pubkey.so")
            .context("libstrongswan-pubkey.so is not mapped in charon")?;
        let table = scan::pubkey_table(pid)?;
        if table.len() < 12 {
            bail!("no live pubkey_cert object found in charon {pid} (method table {table:?})");
        }
        Ok(Code {
            maps,
            pubkey_base,
            table,
        })
    }

    /// The absolute entry point of method `name`, if the table has it.
    pub fn method(&self, name: &str) -> Option<u64> {
        let i = PUBKEY_CERT_METHODS.iter().position(|m| *m == name)?;
        self.table
            .get(i)
            .copied()
            .flatten()
            .map(|o| self.pubkey_base + o)
    }

    /// Whether the table has a `set_subject` slot (5.9.8: 13 slots; 6.0.1: 12).
    pub fn has_set_subject(&self) -> bool {
        self.table.len() > 12
    }

    /// Whether `addr` lies in an executable file mapping whose name ends with
    /// `suffix` ("" for any file).
    pub fn is_code_in(&self, addr: u64, suffix: &str) -> bool {
        self.maps.iter().any(|m| {
            m.perms.contains('x')
                && m.path.starts_with('/')
                && m.path.ends_with(suffix)
                && addr >= m.start
                && addr < m.end
        })
    }

    /// `file+0xOFF`, with the pubkey_cert method it is in when there is one
    /// (`libstrongswan-pubkey.so+0x127b (set_subject+0x1b)`), or `0x... (unmapped)`.
    pub fn describe(&self, addr: u64) -> String {
        let Some(m) = self
            .maps
            .iter()
            .find(|m| addr >= m.start && addr < m.end && m.path.starts_with('/'))
        else {
            let heap = self.maps.iter().any(|m| addr >= m.start && addr < m.end);
            return format!("{addr:#x} ({})", if heap { "not code" } else { "unmapped" });
        };
        let file = m.path.rsplit('/').next().unwrap_or(&m.path);
        let base = scan::load_base(&self.maps, &m.path).unwrap_or(m.start - m.offset);
        let off = addr - base;
        let mut s = format!("{file}+{off:#x}");
        if file == "libstrongswan-pubkey.so" {
            let entry = self
                .table
                .iter()
                .zip(PUBKEY_CERT_METHODS)
                .filter_map(|(o, n)| o.map(|o| (o, n)))
                .filter(|(o, _)| *o <= off && off - *o < 0x100)
                .max_by_key(|(o, _)| *o);
            if let Some((o, n)) = entry {
                s.push_str(&format!(" ({n}+{:#x})", off - o));
            }
        }
        s
    }
}

/// A strongSwan `identification_t` read from charon's heap: its leading method
/// pointers, then `chunk_t encoded` and `id_type_t type` (the private layout of
/// identification.c, the same in 5.9.8 and 6.0.1; the number of methods is counted,
/// not assumed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityView {
    /// Words 0 and 1 of the block.
    pub head: [u64; 2],
    /// Leading words that are code addresses in libstrongswan.so (a live identity's
    /// methods; a freed block's first two words are the allocator's).
    pub methods: usize,
    /// The value, when the block still looks like an identity (`keyid:f1c9fa5c…`).
    pub value: Option<String>,
}

impl IdentityView {
    /// Whether the block is a live identity: its first words are its methods.
    pub fn live(&self) -> bool {
        self.methods >= 5
    }
}

/// Reads the identity at `addr` (see [`IdentityView`]).
pub fn identity(pid: u32, code: &Code, addr: u64) -> Result<IdentityView> {
    let w = read_words(pid, addr, 16)?;
    let methods = w
        .iter()
        .take_while(|&&a| code.is_code_in(a, "libstrongswan.so.0.0.0"))
        .count();
    let mut value = None;
    if (5..13).contains(&methods) {
        let (ptr, len, kind) = (w[methods], w[methods + 1], w[methods + 2] as u32);
        let bytes = if len > 0 && len < 512 {
            read_bytes(pid, ptr, len as usize).unwrap_or_default()
        } else {
            Vec::new()
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        value = Some(match kind {
            0 => "%any".to_string(),
            2 => format!("fqdn:{text}"),
            3 => format!("email:{text}"),
            11 => {
                let hex: String = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
                format!("keyid:{hex}…")
            }
            other => format!("type {other} ({len} bytes)"),
        });
    }
    Ok(IdentityView {
        head: [w[0], w[1]],
        methods,
        value,
    })
}

/// `DISP(%REG)` → (DISP, REG).
fn mem_operand(op: &str) -> Option<(u64, String)> {
    let (disp, rest) = op.trim().split_once("(%")?;
    let reg = rest.strip_suffix(')')?;
    if reg.contains(',') {
        return None;
    }
    let disp = match disp {
        "" => 0,
        d => u64::from_str_radix(d.strip_prefix("0x")?, 16).ok()?,
    };
    Some((disp, reg.to_string()))
}

/// `mov SRC,DST` → (SRC, DST).
fn mov_operands(inst: &str) -> Option<(&str, &str)> {
    let ops = inst.strip_prefix("mov ")?.trim();
    ops.split_once(',')
}

/// A load of a `pubkey_cert`'s subject pointer: `mov SUBJECT(%base),%dst`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectLoad {
    /// The method it is in.
    pub method: &'static str,
    /// The instruction's address.
    pub addr: u64,
    /// The register holding the certificate (`rdi`, `rbp`, ...).
    pub base: String,
}

/// What the replay breaks at, found from the instructions (see the module docs).
#[derive(Clone, Debug)]
pub struct Sites {
    /// The subject field's offset in a `pubkey_cert`, read from `get_subject`
    /// (`mov 0x78(%rdi),%rax; ret` on 5.9.8, `0x70` on 6.0.1).
    pub subject_offset: u64,
    /// Every load of the subject pointer in `get_subject`, `has_subject`, `equals`.
    pub loads: Vec<SubjectLoad>,
    /// `set_subject`'s entry and the instruction right after its call of the old
    /// identity's `destroy` (5.9.8 only).
    pub set_subject: Option<(u64, u64)>,
    /// Entry points of `equals`, `get_ref` and `destroy`.
    pub equals: u64,
    /// See `equals`.
    pub get_ref: u64,
    /// See `equals`.
    pub destroy: u64,
}

fn method_code(gdb: &mut Gdb, code: &Code, name: &str) -> Result<(u64, Vec<(u64, String)>)> {
    let entry = code
        .method(name)
        .with_context(|| format!("pubkey_cert has no {name} in its method table"))?;
    // Up to the next method entry (functions are laid out one after the other), at
    // most 0x100 bytes.
    let next = code
        .table
        .iter()
        .flatten()
        .map(|o| code.pubkey_base + o)
        .filter(|&a| a > entry)
        .min()
        .unwrap_or(entry + 0x100)
        .min(entry + 0x100);
    Ok((entry, gdb.disassemble(entry, next)?))
}

/// Finds the [`Sites`] of a charon (see the module docs); an error says which
/// instruction pattern was not found.
pub fn sites(gdb: &mut Gdb, code: &Code) -> Result<Sites> {
    let (_, get_subject) = method_code(gdb, code, "get_subject")?;
    let first = get_subject
        .iter()
        .find(|(_, i)| !i.starts_with("endbr64"))
        .context("get_subject: no instructions")?;
    let subject_offset = mov_operands(&first.1)
        .and_then(|(src, dst)| {
            let (d, r) = mem_operand(src)?;
            (r == "rdi" && dst.trim() == "%rax").then_some(d)
        })
        .ok_or_else(|| {
            anyhow!(
                "get_subject does not start with a load of a field: {:?}",
                first.1
            )
        })?;
    let mut loads = Vec::new();
    for name in ["get_subject", "has_subject", "equals"] {
        let (_, insts) = method_code(gdb, code, name)?;
        for (addr, inst) in &insts {
            if let Some((src, dst)) = mov_operands(inst) {
                if let Some((d, base)) = mem_operand(src) {
                    if d == subject_offset && dst.trim().starts_with('%') && base != "rsp" {
                        loads.push(SubjectLoad {
                            method: PUBKEY_CERT_METHODS
                                .iter()
                                .find(|m| **m == name)
                                .copied()
                                .expect("known"),
                            addr: *addr,
                            base,
                        });
                    }
                }
            }
        }
    }
    if !loads.iter().any(|l| l.method == "equals") {
        bail!("equals: no load of the subject pointer found");
    }
    let set_subject = if code.has_set_subject() {
        let (entry, insts) = method_code(gdb, code, "set_subject")?;
        let call = insts
            .iter()
            .position(|(_, i)| i.starts_with("call") && i.contains('*'))
            .context("set_subject: no indirect call (the old identity's destroy) found")?;
        let after = insts
            .get(call + 1)
            .context("set_subject: nothing after the destroy call")?
            .0;
        let stores = insts[call + 1..].iter().any(|(_, i)| {
            mov_operands(i)
                .and_then(|(_, dst)| mem_operand(dst))
                .is_some_and(|(d, _)| d == subject_offset)
        });
        if !stores {
            bail!("set_subject: no store of the subject after the destroy call");
        }
        Some((entry, after))
    } else {
        None
    };
    let entry = |n: &str| {
        code.method(n)
            .with_context(|| format!("no {n} in the method table"))
    };
    Ok(Sites {
        subject_offset,
        loads,
        set_subject,
        equals: entry("equals")?,
        get_ref: entry("get_ref")?,
        destroy: entry("destroy")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands() {
        assert_eq!(mem_operand("0x78(%rbp)"), Some((0x78, "rbp".into())));
        assert_eq!(mem_operand("(%rsi)"), Some((0, "rsi".into())));
        assert_eq!(mem_operand("0x8(%rax,%rbx,8)"), None);
        assert_eq!(
            mov_operands("mov    0x78(%rdi),%rax"),
            Some(("0x78(%rdi)", "%rax"))
        );
        assert_eq!(mov_operands("movzbl 0x1(%rdi),%eax"), None);
    }
}
