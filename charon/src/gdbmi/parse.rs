//! GDB/MI output: its values ([`Value`]), one line as a [`Record`], and numbers as gdb
//! spells them.

/// A GDB/MI value: a C string, a tuple `{a=..,b=..}` or a list `[..]` (a list of
/// results `[frame={..},frame={..}]` becomes a list of one-entry tuples).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `"..."`, unescaped.
    Str(String),
    /// `{name=value,...}`, in order.
    Tuple(Vec<(String, Value)>),
    /// `[value,...]`.
    List(Vec<Value>),
}

impl Value {
    /// The field `key` of a tuple.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Tuple(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    /// The string field `key` of a tuple.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
    /// The items of a list (a one-entry tuple's value for a list of results).
    pub fn items(&self) -> Vec<&Value> {
        match self {
            Value::List(v) => v
                .iter()
                .map(|i| match i {
                    Value::Tuple(f) if f.len() == 1 => &f[0].1,
                    other => other,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One line of gdb's MI output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// `TOKEN^class,results`: the answer to a command.
    Result {
        /// The command's token.
        token: Option<u64>,
        /// `done`, `running`, `error`, `exit`, `connected`.
        class: String,
        /// The results, as a tuple.
        results: Value,
    },
    /// `*class,...` (execution state: `stopped`, `running`) or `=class,...`
    /// (notifications: breakpoints, threads, libraries).
    Async {
        /// `*` or `=` (or `+`).
        kind: char,
        /// `stopped`, `running`, `thread-exited`, ...
        class: String,
        /// The results, as a tuple.
        results: Value,
    },
    /// `~"..."`, `@"..."`, `&"..."`: console, target and log text.
    Stream(String),
    /// The `(gdb)` prompt or an unparsable line.
    Other(String),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn cstring(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b't' => b'\t',
                        other => other,
                    });
                }
                other => out.push(other),
            }
        }
        None
    }
    fn name(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(|c| c != b'=' && c != b',') {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'"' => self.cstring().map(Value::Str),
            b'{' => {
                self.i += 1;
                let fields = self.results(b'}')?;
                Some(Value::Tuple(fields))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(Value::List(items));
                }
                loop {
                    let item = if matches!(self.peek()?, b'"' | b'{' | b'[') {
                        self.value()?
                    } else {
                        let n = self.name();
                        self.i += 1;
                        Value::Tuple(vec![(n, self.value()?)])
                    };
                    items.push(item);
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(Value::List(items));
                        }
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }
    /// `name=value,...` up to `end` (consumed) or the end of the line (`end` = 0).
    fn results(&mut self, end: u8) -> Option<Vec<(String, Value)>> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None if end == 0 => return Some(out),
                Some(c) if c == end => {
                    self.i += 1;
                    return Some(out);
                }
                Some(b',') => self.i += 1,
                Some(_) => {
                    let n = self.name();
                    if self.peek()? != b'=' {
                        return None;
                    }
                    self.i += 1;
                    out.push((n, self.value()?));
                }
                None => return None,
            }
        }
    }
}

/// Parses one line of MI output.
pub fn parse_line(line: &str) -> Record {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let token = line[..digits].parse().ok();
    let rest = &line[digits..];
    let Some(first) = rest.chars().next() else {
        return Record::Other(line.into());
    };
    match first {
        '~' | '@' | '&' => {
            let mut p = Parser {
                s: &rest.as_bytes()[1..],
                i: 0,
            };
            Record::Stream(p.cstring().unwrap_or_default())
        }
        '^' | '*' | '=' | '+' => {
            let body = &rest[1..];
            let (class, tail) = body.split_once(',').unwrap_or((body, ""));
            let mut p = Parser {
                s: tail.as_bytes(),
                i: 0,
            };
            let Some(fields) = p.results(0) else {
                return Record::Other(line.into());
            };
            let results = Value::Tuple(fields);
            if first == '^' {
                Record::Result {
                    token,
                    class: class.into(),
                    results,
                }
            } else {
                Record::Async {
                    kind: first,
                    class: class.into(),
                    results,
                }
            }
        }
        _ => Record::Other(line.into()),
    }
}

/// Parses gdb's spelling of an address or integer (`0x...` or decimal, maybe negative).
pub fn number(s: &str) -> Option<u64> {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or(s);
    if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse::<i64>().ok().map(|v| v as u64)
    }
}
