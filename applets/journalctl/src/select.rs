//! Which records to show: the store query (units, time range, priorities, boot) plus the
//! filters the store does not know (unit globs, `-t`, `FIELD=VALUE` matches, `-g`, `-k`).

use crate::cli::{Boot, Options};
use crate::output::{fields, Style};
use regex_lite::{Regex, RegexBuilder};
use std::path::Path;
use unitbox_core::glob::{fnmatch, is_glob, MatchFlags};
use unitbox_core::journal::cursor::Cursor;
use unitbox_core::journal::reader::Query;
use unitbox_core::journal::record::Record;
use unitbox_core::journal::sequence::sequence_id;
use unitbox_core::state::boot::current_boot_id;

/// Unit type suffixes: a name without one means a `.service` (systemd's name mangling).
const UNIT_SUFFIXES: &[&str] = &[
    ".service",
    ".socket",
    ".target",
    ".device",
    ".mount",
    ".automount",
    ".swap",
    ".timer",
    ".path",
    ".slice",
    ".scope",
];

/// `foo` → `foo.service`; globs stay as they are.
pub fn mangle_unit(name: &str) -> String {
    if is_glob(name) || UNIT_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        name.to_string()
    } else {
        format!("{name}.service")
    }
}

/// The boots a journal knows, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootInfo {
    pub id: String,
    pub first: u64,
    pub last: u64,
}

pub fn list_boots(dir: &Path) -> unitbox_core::Result<Vec<BootInfo>> {
    let mut boots: Vec<BootInfo> = Vec::new();
    for r in Query::default().read(dir)? {
        match boots.iter_mut().find(|b| b.id == r.boot_id) {
            Some(b) => {
                b.first = b.first.min(r.realtime);
                b.last = b.last.max(r.realtime);
            }
            None => boots.push(BootInfo {
                id: r.boot_id.clone(),
                first: r.realtime,
                last: r.realtime,
            }),
        }
    }
    boots.sort_by_key(|b| b.first);
    Ok(boots)
}

/// The boot id `-b` names, or systemd's error.
fn resolve_boot(boot: &Boot, dir: &Path) -> Result<String, String> {
    let boots = list_boots(dir).map_err(|e| e.to_string())?;
    let position = |id: &str| boots.iter().position(|b| b.id == id);
    let (found, label) = match boot {
        Boot::Offset(0) => {
            let current = current_boot_id();
            (position(current), "+0".to_string())
        }
        Boot::Offset(n) if *n > 0 => (usize::try_from(n - 1).ok(), format!("{n:+}")),
        Boot::Offset(n) => (
            (boots.len() as i64 - 1 + n).try_into().ok(),
            format!("{n:+}"),
        ),
        Boot::Id(id, offset) => (
            position(id).and_then(|p| usize::try_from(p as i64 + offset).ok()),
            format!("{id}{offset:+}"),
        ),
    };
    found
        .and_then(|i| boots.get(i))
        .map(|b| b.id.clone())
        .ok_or_else(|| {
            format!(
                "Data from the specified boot ({label}) is not available: No such boot ID in journal"
            )
        })
}

pub struct Selection {
    pub query: Query,
    /// Unit patterns (globs) when they cannot go into the query.
    unit_patterns: Vec<String>,
    identifiers: Vec<String>,
    /// `FIELD=VALUE` matches grouped by field: values of one field are ORed, fields ANDed.
    matches: Vec<(String, Vec<String>)>,
    grep: Option<Regex>,
    /// `-k`: the kernel's messages, which this store never holds.
    kernel_only: bool,
    /// `--cursor=` (inclusive) or `--after-cursor=`/`--cursor-file=` (exclusive).
    start: Option<(Cursor, bool)>,
    pub seqnum_id: String,
}

impl Selection {
    pub fn new(o: &Options, dir: &Path) -> Result<Selection, String> {
        let mut query = Query {
            since: o.since,
            until: o.until,
            priorities: o.priorities.clone(),
            ..Query::default()
        };
        query.boot_id = match &o.boot {
            Some(boot) => Some(resolve_boot(boot, dir)?),
            None if o.boot_implied => Some(current_boot_id().to_string()),
            None => None,
        };
        let patterns: Vec<String> = o
            .units
            .iter()
            .chain(&o.user_units)
            .map(|u| mangle_unit(u))
            .collect();
        let mut unit_patterns = Vec::new();
        if patterns.iter().any(|p| is_glob(p)) {
            // Globs are matched per record, so that units that appear while following
            // are matched too.
            unit_patterns = patterns;
        } else if !patterns.is_empty() {
            query.units = patterns;
            query.units.dedup();
        }
        Ok(Selection {
            query,
            unit_patterns,
            identifiers: o.identifiers.clone(),
            matches: parse_matches(&o.matches)?,
            grep: o
                .grep
                .as_deref()
                .map(|p| compile_grep(p, o.case_sensitive))
                .transpose()?,
            kernel_only: o.dmesg,
            start: start_cursor(o)?,
            seqnum_id: sequence_id(dir).unwrap_or_default(),
        })
    }

    /// Whether a cursor decides where the output starts.
    pub fn has_cursor(&self) -> bool {
        self.start.is_some()
    }

    /// The filters beyond the store query.
    pub fn accepts(&self, r: &Record, style: &Style) -> bool {
        if self.kernel_only {
            return false;
        }
        if let Some((cursor, inclusive)) = &self.start {
            let at = *inclusive && cursor.names(r, &self.seqnum_id);
            if !at && !cursor.precedes(r, &self.seqnum_id) {
                return false;
            }
        }
        if !self.unit_patterns.is_empty()
            && !self
                .unit_patterns
                .iter()
                .any(|p| fnmatch(p, &r.unit, MatchFlags::default()))
        {
            return false;
        }
        if !self.identifiers.is_empty() && !self.identifiers.contains(&r.identifier) {
            return false;
        }
        if !self.matches.is_empty() {
            let fields = fields(r, style);
            let field_matches = |name: &str, values: &[String]| {
                fields
                    .iter()
                    .any(|(n, v)| n == name && values.iter().any(|x| x.as_bytes() == v))
            };
            if !self.matches.iter().all(|(n, vs)| field_matches(n, vs)) {
                return false;
            }
        }
        match &self.grep {
            Some(re) => re.is_match(&r.message_lossy()),
            None => true,
        }
    }
}

/// The cursor the output starts at: `--cursor=`, `--after-cursor=`, or the one stored in
/// `--cursor-file=` (a missing file means from the beginning).
fn start_cursor(o: &Options) -> Result<Option<(Cursor, bool)>, String> {
    let (text, inclusive) = match (&o.cursor, &o.after_cursor, &o.cursor_file) {
        (Some(c), _, _) => (c.clone(), true),
        (None, Some(c), _) => (c.clone(), false),
        (None, None, Some(file)) => match std::fs::read_to_string(file) {
            Ok(text) => (text.trim().to_string(), false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(format!(
                    "Failed to read cursor file {}: {e}",
                    file.display()
                ))
            }
        },
        (None, None, None) => return Ok(None),
    };
    Cursor::parse(&text)
        .map(|c| Some((c, inclusive)))
        .ok_or_else(|| "Failed to seek to cursor: Invalid argument".to_string())
}

fn parse_matches(args: &[String]) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for arg in args {
        let Some((name, value)) = arg.split_once('=').filter(|(n, _)| valid_field_name(n)) else {
            return Err(format!("Failed to add match '{arg}': Invalid argument"));
        };
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value.to_string()),
            None => out.push((name.to_string(), vec![value.to_string()])),
        }
    }
    Ok(out)
}

/// journald field names: upper-case letters, digits and `_`, not starting with a digit.
fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `-g`: case-insensitive when the pattern has no upper-case letters, unless
/// `--case-sensitive=` says otherwise.
fn compile_grep(pattern: &str, case_sensitive: Option<bool>) -> Result<Regex, String> {
    let insensitive = match case_sensitive {
        Some(sensitive) => !sensitive,
        None => !pattern.chars().any(char::is_uppercase),
    };
    RegexBuilder::new(pattern)
        .case_insensitive(insensitive)
        .build()
        .map_err(|e| {
            let reason = e.to_string();
            let reason = reason.lines().last().unwrap_or_default().trim().to_string();
            format!("Bad pattern \"{pattern}\": {reason}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_are_mangled() {
        assert_eq!(mangle_unit("foo"), "foo.service");
        assert_eq!(mangle_unit("foo.socket"), "foo.socket");
        assert_eq!(mangle_unit("foo.bar"), "foo.bar.service");
        assert_eq!(mangle_unit("foo*"), "foo*");
    }

    #[test]
    fn grep_case_rules() {
        let re = compile_grep("error", None).unwrap();
        assert!(re.is_match("An ERROR occurred"));
        let re = compile_grep("Error", None).unwrap();
        assert!(!re.is_match("an error"));
        let re = compile_grep("error", Some(true)).unwrap();
        assert!(!re.is_match("ERROR"));
        let re = compile_grep("ERROR", Some(false)).unwrap();
        assert!(re.is_match("error"));
        assert!(compile_grep("(", None)
            .unwrap_err()
            .starts_with("Bad pattern \"(\": "));
    }

    #[test]
    fn matches_group_by_field() {
        let m = parse_matches(&["_PID=1".into(), "UNIT=a".into(), "_PID=2".into()]).unwrap();
        assert_eq!(
            m,
            [
                ("_PID".to_string(), vec!["1".to_string(), "2".to_string()]),
                ("UNIT".to_string(), vec!["a".to_string()])
            ]
        );
        assert_eq!(
            parse_matches(&["abc".into()]).unwrap_err(),
            "Failed to add match 'abc': Invalid argument"
        );
        assert!(parse_matches(&["lower=x".into()]).is_err());
    }
}
