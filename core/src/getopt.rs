//! The one `getopt_long()` of the applets that follow systemd's option rules (systemd's
//! tools parse with glibc's `getopt_long()`, and their users rely on its details): options
//! and operands may be mixed (operands are collected) unless the option string starts with
//! `+` ([`Parser::stop_at_operand`]: the first operand ends the options, so a command line
//! keeps its own options), `--` ends the options, long options may be abbreviated while
//! unambiguous, short options may be bundled (`-fn5`), an optional argument is only taken
//! when attached (`-n5`, `--lines=5`) — journalctl then peeks at the next word for `-n` and
//! `-b`, which [`Parser::peek`] allows. Error texts are glibc's.
//!
//! Operands stay `OsString`s (a command and its arguments need not be UTF-8); option names
//! and values are text.

use std::ffi::{OsStr, OsString};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HasArg {
    No,
    Required,
    Optional,
}

/// One option: its long name, its short letter (if any) and whether it takes a value.
pub struct Spec {
    pub long: &'static str,
    pub short: Option<char>,
    pub arg: HasArg,
}

pub const fn opt(long: &'static str, short: Option<char>, arg: HasArg) -> Spec {
    Spec { long, short, arg }
}

/// An option as found: the spec's long name (also for short options) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: &'static str,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetoptError(pub String);

impl fmt::Display for GetoptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Parser<'a> {
    program: &'a str,
    specs: &'a [Spec],
    args: Vec<OsString>,
    next: usize,
    /// The rest of a bundle of short options (`-fn5` after `-f`: `n5`).
    bundle: Option<String>,
    only_operands: bool,
    stop_at_operand: bool,
    pub operands: Vec<OsString>,
}

impl<'a> Parser<'a> {
    /// A parser of `args` (without `argv[0]`); errors start with `program: `.
    pub fn new(program: &'a str, specs: &'a [Spec], args: Vec<OsString>) -> Self {
        Parser {
            program,
            specs,
            args,
            next: 0,
            bundle: None,
            only_operands: false,
            stop_at_operand: false,
            operands: Vec::new(),
        }
    }

    /// getopt's `+`: the first operand and everything after it are operands.
    pub fn stop_at_operand(mut self) -> Self {
        self.stop_at_operand = true;
        self
    }

    /// The operands as text (lossy), for tools whose operands are names or patterns.
    pub fn operand_strings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.operands)
            .into_iter()
            .map(|o| o.to_string_lossy().into_owned())
            .collect()
    }

    /// The next word, if it is not an option: what `argv[optind]` is to journalctl.
    pub fn peek(&self) -> Option<&str> {
        if self.bundle.is_some() {
            return None;
        }
        self.args.get(self.next).and_then(|a| a.to_str())
    }

    /// Consumes the word [`Parser::peek`] returned.
    pub fn take_peeked(&mut self) {
        self.next += 1;
    }

    /// `text` is the whole word after `--`: glibc's messages quote it with its `=VALUE`.
    fn find_long(&self, name: &str, text: &str) -> Result<&'a Spec, GetoptError> {
        if let Some(spec) = self.specs.iter().find(|s| s.long == name) {
            return Ok(spec);
        }
        let candidates: Vec<&Spec> = self
            .specs
            .iter()
            .filter(|s| s.long.starts_with(name))
            .collect();
        match candidates.as_slice() {
            [one] => Ok(one),
            [] => Err(self.error(format!("unrecognized option '--{text}'"))),
            many => {
                let list: Vec<String> = many.iter().map(|s| format!("'--{}'", s.long)).collect();
                Err(self.error(format!(
                    "option '--{text}' is ambiguous; possibilities: {}",
                    list.join(" ")
                )))
            }
        }
    }

    fn error(&self, text: String) -> GetoptError {
        GetoptError(format!("{}: {text}", self.program))
    }

    /// The next option, `None` at the end (operands are collected in `operands`).
    pub fn next_option(&mut self) -> Result<Option<Found>, GetoptError> {
        if let Some(rest) = self.bundle.take() {
            return self.short(rest).map(Some);
        }
        while let Some(raw) = self.args.get(self.next).cloned() {
            self.next += 1;
            let is_option = raw.as_encoded_bytes().starts_with(b"-") && raw != OsStr::new("-");
            if self.only_operands || !is_option {
                self.operands.push(raw);
                if self.stop_at_operand {
                    self.only_operands = true;
                }
                continue;
            }
            let arg = raw.to_string_lossy().into_owned();
            if arg == "--" {
                self.only_operands = true;
                continue;
            }
            if let Some(long) = arg.strip_prefix("--") {
                return self.long(long).map(Some);
            }
            return self.short(arg[1..].to_string()).map(Some);
        }
        Ok(None)
    }

    fn long(&mut self, text: &str) -> Result<Found, GetoptError> {
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (text, None),
        };
        let spec = self.find_long(name, text)?;
        let value = match (spec.arg, inline) {
            (HasArg::No, Some(_)) => {
                return Err(self.error(format!(
                    "option '--{}' doesn't allow an argument",
                    spec.long
                )))
            }
            (HasArg::Required, None) => match self.args.get(self.next) {
                Some(v) => {
                    self.next += 1;
                    Some(v.to_string_lossy().into_owned())
                }
                None => {
                    return Err(self.error(format!("option '--{}' requires an argument", spec.long)))
                }
            },
            (_, value) => value,
        };
        Ok(Found {
            name: spec.long,
            value,
        })
    }

    fn short(&mut self, text: String) -> Result<Found, GetoptError> {
        let mut chars = text.chars();
        let c = chars.next().unwrap_or('-');
        let rest: String = chars.collect();
        let Some(spec) = self.specs.iter().find(|s| s.short == Some(c)) else {
            return Err(self.error(format!("invalid option -- '{c}'")));
        };
        let value = match spec.arg {
            HasArg::No => {
                if !rest.is_empty() {
                    self.bundle = Some(rest);
                }
                None
            }
            HasArg::Optional => (!rest.is_empty()).then_some(rest),
            HasArg::Required if !rest.is_empty() => Some(rest),
            HasArg::Required => match self.args.get(self.next) {
                Some(v) => {
                    self.next += 1;
                    Some(v.to_string_lossy().into_owned())
                }
                None => return Err(self.error(format!("option requires an argument -- '{c}'"))),
            },
        };
        Ok(Found {
            name: spec.long,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[Spec] = &[
        opt("follow", Some('f'), HasArg::No),
        opt("lines", Some('n'), HasArg::Optional),
        opt("unit", Some('u'), HasArg::Required),
        opt("user", None, HasArg::No),
        opt("user-unit", None, HasArg::Required),
    ];

    fn all(args: &[&str]) -> Result<(Vec<Found>, Vec<String>), GetoptError> {
        let mut p = Parser::new(
            "journalctl",
            SPECS,
            args.iter().map(OsString::from).collect(),
        );
        let mut found = Vec::new();
        while let Some(f) = p.next_option()? {
            found.push(f);
        }
        Ok((found, p.operand_strings()))
    }

    fn f(name: &'static str, value: Option<&str>) -> Found {
        Found {
            name,
            value: value.map(String::from),
        }
    }

    #[test]
    fn bundles_abbreviations_and_operands() {
        let (found, operands) =
            all(&["-fn5", "x", "--unit", "a", "--user-u=b", "--", "-f"]).unwrap();
        assert_eq!(
            found,
            [
                f("follow", None),
                f("lines", Some("5")),
                f("unit", Some("a")),
                f("user-unit", Some("b"))
            ]
        );
        assert_eq!(operands, ["x", "-f"]);
        let (found, _) = all(&["-ua", "--user"]).unwrap();
        assert_eq!(found, [f("unit", Some("a")), f("user", None)]);
    }

    #[test]
    fn plus_stops_at_the_first_operand() {
        let mut p = Parser::new(
            "systemd-cat",
            SPECS,
            ["-f", "ls", "-u", "x"].map(OsString::from).to_vec(),
        )
        .stop_at_operand();
        assert_eq!(p.next_option().unwrap(), Some(f("follow", None)));
        assert_eq!(p.next_option().unwrap(), None);
        assert_eq!(p.operand_strings(), ["ls", "-u", "x"]);
    }

    #[test]
    fn errors_read_like_glibc() {
        let e = |args: &[&str]| all(args).unwrap_err().0;
        assert_eq!(e(&["--bogus"]), "journalctl: unrecognized option '--bogus'");
        assert_eq!(e(&["-z"]), "journalctl: invalid option -- 'z'");
        assert_eq!(e(&["-u"]), "journalctl: option requires an argument -- 'u'");
        assert_eq!(
            e(&["--user-unit"]),
            "journalctl: option '--user-unit' requires an argument"
        );
        assert_eq!(
            e(&["--follow=1"]),
            "journalctl: option '--follow' doesn't allow an argument"
        );
        assert!(e(&["--us"]).contains("is ambiguous"));
        // glibc quotes the whole word, value included.
        assert_eq!(
            e(&["--bogus=1"]),
            "journalctl: unrecognized option '--bogus=1'"
        );
        assert_eq!(
            e(&["--us=1"]),
            "journalctl: option '--us=1' is ambiguous; possibilities: '--user' '--user-unit'"
        );
    }
}
