//! Reading helgrind's XML output (`--xml=yes --xml-file=...`) and classifying its
//! reports.
//!
//! The file grows while charon runs; [`parse_errors`] reads every complete `<error>`
//! element so far, so a run can stop at the first relevant report.
//!
//! Debian's binaries are stripped: helgrind names only exported functions. Frames are
//! therefore shown as `library+offset`, and frames in `libstrongswan-pubkey.so` are
//! named after `pubkey_cert`'s methods, whose entry points [`crate::scan::pubkey_methods`]
//! reads from a live object's method pointers (a frame belongs to the nearest entry
//! point at or below it).
//!
//! **Relevant** ([`Class::Relevant`]): a conflict whose one side writes or frees inside
//! `pubkey_cert`'s `set_subject` — the method name when recovered, otherwise a write
//! in the pubkey plugin reached from the vici plugin (load-conn's peer section
//! callback) — and whose other side is a read reached through the pubkey plugin
//! (`get_subject`, `equals`, `has_subject`) or the vici plugin (list-certs). Everything
//! else is **noise** ([`Class::Noise`]), counted and listed by its top frames.

use std::collections::BTreeMap;

/// One stack frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Instruction pointer.
    pub ip: u64,
    /// The object (library) file.
    pub obj: String,
    /// The function name helgrind found, if any.
    pub func: Option<String>,
}

impl Frame {
    /// The object's file name.
    pub fn lib(&self) -> &str {
        self.obj.rsplit('/').next().unwrap_or(&self.obj)
    }
    fn is_valgrind(&self) -> bool {
        self.lib().starts_with("vgpreload_")
    }
}

/// One labelled part of a report: an access or a block description, with its stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The text (`Possible data race during read of size 8 at 0x... by thread #5`,
    /// `This conflicts with a previous write ...`, `Address ... is 120 bytes inside a
    /// block of size 152 alloc'd`).
    pub text: String,
    /// Its stack (may be empty).
    pub stack: Vec<Frame>,
}

/// One helgrind error context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// helgrind's id of the context.
    pub unique: String,
    /// `Race`, `UnlockUnlocked`, `Misc`, ...
    pub kind: String,
    /// The parts in file order: the current access first.
    pub parts: Vec<Part>,
}

fn frame(n: roxmltree::Node) -> Option<Frame> {
    let child = |name: &str| {
        n.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    let ip = child("ip")?;
    Some(Frame {
        ip: u64::from_str_radix(ip.trim_start_matches("0x"), 16).ok()?,
        obj: child("obj").unwrap_or_default(),
        func: child("fn"),
    })
}

fn text_of(n: roxmltree::Node) -> String {
    if let Some(t) = n.children().find(|c| c.has_tag_name("text")) {
        t.text().unwrap_or("").to_string()
    } else {
        n.text().unwrap_or("").to_string()
    }
}

/// Parses one `<error>...</error>` element.
pub fn parse_error(xml: &str) -> Option<Report> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let e = doc.root_element();
    let mut r = Report {
        unique: String::new(),
        kind: String::new(),
        parts: Vec::new(),
    };
    for c in e.children().filter(|c| c.is_element()) {
        match c.tag_name().name() {
            "unique" => r.unique = c.text().unwrap_or("").to_string(),
            "kind" => r.kind = c.text().unwrap_or("").to_string(),
            "what" | "xwhat" | "auxwhat" | "xauxwhat" => r.parts.push(Part {
                text: text_of(c),
                stack: Vec::new(),
            }),
            "stack" => {
                let frames = c
                    .children()
                    .filter(|f| f.has_tag_name("frame"))
                    .filter_map(frame);
                match r.parts.last_mut() {
                    Some(p) if p.stack.is_empty() => p.stack.extend(frames),
                    _ => r.parts.push(Part {
                        text: String::new(),
                        stack: frames.collect(),
                    }),
                }
            }
            _ => {}
        }
    }
    Some(r)
}

/// Every complete `<error>` element in helgrind's XML output so far.
pub fn parse_errors(xml: &str) -> Vec<Report> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<error>") {
        let Some(len) = rest[start..].find("</error>") else {
            break;
        };
        let end = start + len + "</error>".len();
        if let Some(r) = parse_error(&rest[start..end]) {
            out.push(r);
        }
        rest = &rest[end..];
    }
    out
}

/// Names frames: library + offset, and `pubkey_cert` methods in the pubkey plugin.
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    /// Load base of each mapped library, by file name.
    pub bases: BTreeMap<String, u64>,
    /// `pubkey_cert` method entry points (offsets into the pubkey plugin).
    pub pubkey_methods: BTreeMap<u64, &'static str>,
}

/// The pubkey plugin's file name.
pub const PUBKEY: &str = "libstrongswan-pubkey.so";
/// The vici plugin's file name.
pub const VICI: &str = "libstrongswan-vici.so";

impl Symbols {
    /// Reads the mappings and the method entry points of charon `pid` (call while it
    /// still runs).
    pub fn capture(pid: u32) -> Symbols {
        let mut s = Symbols::default();
        if let Ok(maps) = crate::scan::mappings(pid) {
            for m in maps
                .iter()
                .filter(|m| m.offset == 0 && m.path.starts_with('/'))
            {
                let name = m.path.rsplit('/').next().unwrap_or(&m.path).to_string();
                let e = s.bases.entry(name).or_insert(m.start);
                *e = (*e).min(m.start);
            }
        }
        s.pubkey_methods = crate::scan::pubkey_methods(pid).unwrap_or_default();
        s
    }

    /// The `pubkey_cert` method a pubkey-plugin frame is in, if known.
    pub fn method(&self, f: &Frame) -> Option<&'static str> {
        if f.lib() != PUBKEY {
            return None;
        }
        let off = f.ip.checked_sub(*self.bases.get(PUBKEY)?)?;
        self.pubkey_methods
            .range(..=off)
            .next_back()
            .filter(|(entry, _)| off - *entry < 0x400)
            .map(|(_, name)| *name)
    }

    /// `lib+0xoff (name)`.
    pub fn show(&self, f: &Frame) -> String {
        let lib = f.lib();
        let off = match self.bases.get(lib) {
            Some(b) if f.ip >= *b => format!("+{:#x}", f.ip - b),
            _ => format!("@{:#x}", f.ip),
        };
        let name = f
            .func
            .clone()
            .or_else(|| self.method(f).map(|m| format!("pubkey_cert.{m}")));
        match name {
            Some(n) => format!("{n} ({lib}{off})"),
            None => format!("{lib}{off}"),
        }
    }

    /// A stack as one line, innermost first, at most `n` frames.
    pub fn stack_line(&self, stack: &[Frame], n: usize) -> String {
        stack
            .iter()
            .take(n)
            .map(|f| self.show(f))
            .collect::<Vec<_>>()
            .join(" < ")
    }
}

/// A report's class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// set_subject's write/free of the subject against a read of it.
    Relevant {
        /// The part (index into `parts`) that writes or frees inside set_subject.
        free_side: usize,
        /// The part that reads.
        read_side: usize,
    },
    /// Anything else.
    Noise,
}

fn is_write(text: &str) -> bool {
    text.contains("write of size")
}
fn is_read(text: &str) -> bool {
    text.contains("read of size")
}
fn has_lib(stack: &[Frame], lib: &str) -> bool {
    stack.iter().any(|f| f.lib() == lib)
}

/// Whether an access's stack writes or frees inside set_subject.
fn set_subject_side(sym: &Symbols, p: &Part) -> bool {
    if !is_write(&p.text) {
        return false;
    }
    let named = p.stack.iter().any(|f| sym.method(f) == Some("set_subject"));
    let unnamed =
        sym.pubkey_methods.is_empty() && has_lib(&p.stack, PUBKEY) && has_lib(&p.stack, VICI);
    named || unnamed
}

fn reader_side(p: &Part) -> bool {
    is_read(&p.text) && (has_lib(&p.stack, PUBKEY) || has_lib(&p.stack, VICI))
}

/// Classifies one report (see the module docs).
pub fn classify(sym: &Symbols, r: &Report) -> Class {
    if r.kind != "Race" {
        return Class::Noise;
    }
    let accesses: Vec<usize> = r
        .parts
        .iter()
        .enumerate()
        .filter(|(_, p)| is_read(&p.text) || is_write(&p.text))
        .map(|(i, _)| i)
        .collect();
    for &w in &accesses {
        for &rd in &accesses {
            if w != rd && set_subject_side(sym, &r.parts[w]) && reader_side(&r.parts[rd]) {
                return Class::Relevant {
                    free_side: w,
                    read_side: rd,
                };
            }
        }
    }
    Class::Noise
}

/// The block description of a race report (`Address ... is N bytes inside a block of
/// size M alloc'd`), if any.
pub fn block(r: &Report) -> Option<&Part> {
    r.parts.iter().find(|p| p.text.contains("inside a block"))
}

/// A noise report's key: its kind and the top non-valgrind frame of each access.
pub fn noise_key(sym: &Symbols, r: &Report) -> String {
    let tops: Vec<String> = r
        .parts
        .iter()
        .filter(|p| !p.stack.is_empty() && !p.text.contains("inside a block"))
        .take(2)
        .map(|p| {
            let top = p
                .stack
                .iter()
                .find(|f| !f.is_valgrind())
                .or(p.stack.first())
                .map(|f| sym.show(f))
                .unwrap_or_default();
            let what = if is_write(&p.text) {
                "write "
            } else if is_read(&p.text) {
                "read "
            } else {
                ""
            };
            format!("{what}{top}")
        })
        .collect();
    format!("{}: {}", r.kind, tops.join(" vs "))
}
