//! Unit names: validation, the `prefix@instance.type` structure, and systemd's escaping
//! (`systemd-escape`), on which `%i`/`%I`/`%f` depend.

use crate::error::{Error, Result};
use std::fmt;

pub const UNIT_TYPES: &[&str] = &[
    "service",
    "socket",
    "target",
    "device",
    "mount",
    "automount",
    "swap",
    "timer",
    "path",
    "slice",
    "scope",
];

/// A valid unit name split into its parts. Templates have `instance == Some("")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitName {
    full: String,
    at: Option<usize>,
    dot: usize,
}

impl UnitName {
    pub fn parse(name: &str) -> Result<Self> {
        let invalid = || Error::InvalidUnitName(name.to_string());
        if name.is_empty() || name.len() > 255 {
            return Err(invalid());
        }
        let dot = name.rfind('.').ok_or_else(invalid)?;
        let suffix = &name[dot + 1..];
        if !UNIT_TYPES.contains(&suffix) {
            return Err(invalid());
        }
        let stem = &name[..dot];
        if stem.is_empty() {
            return Err(invalid());
        }
        let valid_char = |c: char| c.is_ascii_alphanumeric() || ":-_.\\".contains(c);
        let at = stem.find('@');
        match at {
            Some(i) => {
                let (prefix, instance) = (&stem[..i], &stem[i + 1..]);
                if prefix.is_empty()
                    || !prefix.chars().all(valid_char)
                    || !instance.chars().all(|c| valid_char(c) || c == '@')
                {
                    return Err(invalid());
                }
            }
            None => {
                if !stem.chars().all(valid_char) {
                    return Err(invalid());
                }
            }
        }
        Ok(UnitName {
            full: name.to_string(),
            at,
            dot,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// `service`, `target`, …
    pub fn unit_type(&self) -> &str {
        &self.full[self.dot + 1..]
    }

    /// `%N`: the name without the type suffix.
    pub fn stem(&self) -> &str {
        &self.full[..self.dot]
    }

    /// `%p`: the part before `@` (the whole stem for plain units).
    pub fn prefix(&self) -> &str {
        match self.at {
            Some(i) => &self.full[..i],
            None => self.stem(),
        }
    }

    /// `%i`: the instance; `None` for plain units, `Some("")` for templates.
    pub fn instance(&self) -> Option<&str> {
        self.at.map(|i| &self.full[i + 1..self.dot])
    }

    pub fn is_template(&self) -> bool {
        self.instance() == Some("")
    }

    pub fn is_instance(&self) -> bool {
        matches!(self.instance(), Some(i) if !i.is_empty())
    }

    /// `foo@bar.service` → `foo@.service`.
    pub fn template(&self) -> Option<UnitName> {
        self.at?;
        UnitName::parse(&format!("{}@.{}", self.prefix(), self.unit_type())).ok()
    }

    /// `foo@.service` + `bar` → `foo@bar.service`.
    pub fn with_instance(&self, instance: &str) -> Result<UnitName> {
        UnitName::parse(&format!(
            "{}@{}.{}",
            self.prefix(),
            instance,
            self.unit_type()
        ))
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl AsRef<str> for UnitName {
    fn as_ref(&self) -> &str {
        &self.full
    }
}

/// A user's argument made a unit name, as systemd's `unit_name_mangle_with_suffix()`:
/// valid names (and, with `allow_glob`, glob patterns) stay; `/dev/…` paths become
/// `.device` and other absolute paths `.mount` units; otherwise `/` becomes `-`,
/// characters not allowed in unit names are `\xNN`-escaped, and a missing type suffix
/// becomes `.{suffix}`. `None` when the result is still no valid name.
pub fn mangle_with_suffix(arg: &str, suffix: &str, allow_glob: bool) -> Option<Mangled> {
    let kept = |name: &str| {
        Some(Mangled {
            name: name.to_string(),
            escaped: None,
        })
    };
    if UnitName::parse(arg).is_ok() {
        return kept(arg);
    }
    let glob_chars = |c: char| "*?[]!-\\".contains(c);
    if allow_glob
        && is_glob(arg)
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":-_.\\@".contains(c) || glob_chars(c))
    {
        return kept(arg);
    }
    if arg.starts_with('/') {
        let unit_type = if arg.starts_with("/dev/") || arg.starts_with("/sys/") {
            "device"
        } else {
            "mount"
        };
        let name = format!("{}.{unit_type}", escape_path(arg));
        return UnitName::parse(&name).is_ok().then_some(Mangled {
            name,
            escaped: None,
        });
    }
    let mut name = String::with_capacity(arg.len() + suffix.len() + 1);
    for c in arg.chars() {
        match c {
            '/' => name.push('-'),
            c if c.is_ascii_alphanumeric() || ":-_.\\@".contains(c) => name.push(c),
            c if allow_glob && glob_chars(c) => name.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    name.push_str(&format!("\\x{b:02x}"));
                }
            }
        }
    }
    let escaped = (name != arg).then(|| name.clone());
    let has_type = name
        .rsplit_once('.')
        .is_some_and(|(_, t)| UNIT_TYPES.contains(&t));
    let glob = allow_glob && is_glob(&name);
    if !has_type && !glob {
        name.push('.');
        name.push_str(suffix);
    }
    // A glob need not be a valid name; anything else must be one now (systemd checks only
    // without globs and leaves the rest to the manager, which refuses such names anyway).
    if !glob && UnitName::parse(&name).is_err() {
        return None;
    }
    Some(Mangled { name, escaped })
}

/// The result of [`mangle_with_suffix`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mangled {
    pub name: String,
    /// The argument with characters escaped (before the suffix was added), when that was
    /// needed: systemctl says so (unless `-q`), see [`Mangled::notice`].
    pub escaped: Option<String>,
}

impl Mangled {
    /// systemd's notice for an escaped argument.
    pub fn notice(&self, arg: &str) -> Option<String> {
        self.escaped.as_ref().map(|escaped| {
            format!(
                "Invalid unit name \"{arg}\" escaped as \"{escaped}\" (maybe you should use systemd-escape?)."
            )
        })
    }
}

pub use crate::glob::is_glob;

/// `systemd-escape`: `/` becomes `-`, other unsafe bytes `\xNN`; a leading `.` is escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || b == b':' || b == b'_' || b == b'.' => {
                out.push(b as char)
            }
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// `systemd-escape --path`: `/dev/sda` → `dev-sda`, `/` → `-`.
pub fn escape_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return "-".to_string();
    }
    let mut parts = Vec::new();
    for p in trimmed.split('/').filter(|p| !p.is_empty()) {
        parts.push(p);
    }
    escape(&parts.join("/"))
}

/// Reverses [`escape`]: `-` becomes `/`, `\xNN` its byte (`%I`, `%P`, `%J`).
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'x'))
            .then(|| bytes.get(i + 2..i + 4))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (_, Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'-', None) => out.push(b'/'),
            (b, None) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `systemd-escape --unescape --path`: the inverse of [`escape_path`] (`%f`).
pub fn unescape_path(s: &str) -> String {
    if s == "-" {
        return "/".to_string();
    }
    format!("/{}", unescape(s).trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_template_and_instance() {
        let n = UnitName::parse("foo-bar@baz.service").unwrap();
        assert_eq!(n.prefix(), "foo-bar");
        assert_eq!(n.instance(), Some("baz"));
        assert_eq!(n.stem(), "foo-bar@baz");
        assert_eq!(n.template().unwrap().as_str(), "foo-bar@.service");
        assert!(UnitName::parse("foo@.service").unwrap().is_template());
        assert!(!UnitName::parse("foo.target").unwrap().is_template());
    }

    /// `unit_name_is_valid()`: `@` may recur after the first one (it belongs to the
    /// instance), `\` is an ordinary character so any `\x` text is fine, and the limit is
    /// 255 bytes. Each was checked with systemd 252's `systemctl --root enable/is-enabled`.
    #[test]
    fn accepts_what_systemd_accepts() {
        let instance = |n: &str| UnitName::parse(n).unwrap().instance().map(str::to_string);
        assert_eq!(instance("x@a@b.service").as_deref(), Some("a@b"));
        assert_eq!(instance("a@@.service").as_deref(), Some("@"));
        assert_eq!(instance("a@b@.service").as_deref(), Some("b@"));
        assert!(UnitName::parse("a@b@.service").unwrap().is_instance());
        for ok in [
            "a\\x2db.service",
            "q\\xzz.service",
            "a:b.service",
            "a..service",
            "-.mount",
            "-.slice",
        ] {
            assert!(UnitName::parse(ok).is_ok(), "{ok}");
        }
        assert!(UnitName::parse(&format!("{}.service", "a".repeat(247))).is_ok());
        assert!(UnitName::parse(&format!("{}.service", "a".repeat(248))).is_err());
        for bad in [
            "é.service",
            "a%b.service",
            "@a.service",
            "@.service",
            "a.Service",
        ] {
            assert!(UnitName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_invalid_names() {
        for bad in [
            "",
            "foo",
            "foo.bogus",
            ".service",
            "a b.service",
            "@x.service",
            "a/b.service",
        ] {
            assert!(UnitName::parse(bad).is_err(), "{bad}");
        }
        assert!(UnitName::parse(&format!("{}.service", "a".repeat(250))).is_err());
    }

    #[test]
    fn mangles_arguments_like_systemctl() {
        let m = |a: &str, glob: bool| mangle_with_suffix(a, "service", glob).map(|m| m.name);
        assert_eq!(m("nginx", false).unwrap(), "nginx.service");
        assert_eq!(m("multi-user.target", false).unwrap(), "multi-user.target");
        assert_eq!(m("/dev/sda", false).unwrap(), "dev-sda.device");
        assert_eq!(m("/home", false).unwrap(), "home.mount");
        assert_eq!(m("ng*", true).unwrap(), "ng*");
        assert_eq!(m("ng*", false).unwrap(), "ng\\x2a.service");
        assert_eq!(m("a b", false).unwrap(), "a\\x20b.service");
        assert_eq!(m("@a.service", false), None);
        let escaped = mangle_with_suffix("a b", "service", false).unwrap();
        assert_eq!(
            escaped.notice("a b").unwrap(),
            "Invalid unit name \"a b\" escaped as \"a\\x20b\" (maybe you should use systemd-escape?)."
        );
        assert_eq!(
            mangle_with_suffix("nginx", "service", false)
                .unwrap()
                .notice("nginx"),
            None
        );
    }

    #[test]
    fn escaping_round_trips() {
        assert_eq!(escape("foo bar/baz"), "foo\\x20bar-baz");
        assert_eq!(unescape("foo\\x20bar-baz"), "foo bar/baz");
        assert_eq!(escape_path("/dev/sda1"), "dev-sda1");
        assert_eq!(unescape_path("dev-sda1"), "/dev/sda1");
        assert_eq!(unescape_path("-"), "/");
    }
}
