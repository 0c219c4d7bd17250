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

/// What systemctl does with a user's argument: a missing suffix becomes `.service`
/// (or the given default type), absolute paths of devices and mounts become their units.
pub fn mangle(arg: &str, default_type: &str) -> String {
    if let Some(dot) = arg.rfind('.') {
        if UNIT_TYPES.contains(&&arg[dot + 1..]) {
            return arg.to_string();
        }
    }
    if arg.starts_with("/dev/") {
        return format!("{}.device", escape_path(arg));
    }
    if arg.starts_with('/') {
        return format!("{}.mount", escape_path(arg));
    }
    if is_glob(arg) {
        return arg.to_string();
    }
    format!("{arg}.{default_type}")
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
        assert_eq!(mangle("nginx", "service"), "nginx.service");
        assert_eq!(mangle("multi-user.target", "service"), "multi-user.target");
        assert_eq!(mangle("/dev/sda", "service"), "dev-sda.device");
        assert_eq!(mangle("/home", "service"), "home.mount");
        assert_eq!(mangle("ng*", "service"), "ng*");
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
