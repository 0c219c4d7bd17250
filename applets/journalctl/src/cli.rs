//! journalctl's options, with systemd 252's parsing rules and messages (`journalctl.c`
//! `parse_argv()`): `-n` and `-b` take their value from the next word when it parses, `-p`
//! takes a level or a `FROM..TO` range, `-f` implies `-n 10`, `-e` implies `-n 1000`.

use crate::output::Mode;
use crate::timespec::{parse_timespan, parse_timestamp};
use std::ffi::OsString;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use unitbox_core::getopt::{opt, HasArg, Parser, Spec};
use unitbox_core::journal::format::LineMode;
use unitbox_core::journal::record::parse_priority;
use unitbox_core::time::TimeZone;
use unitbox_core::unit::value::{parse_bool, parse_size};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    All,
    /// The newest N.
    Newest(usize),
    /// `+N`: the oldest N.
    Oldest(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boot {
    /// `-b` with an offset: 0 is the current boot, 1 the first in the journal, -1 the one
    /// before the current.
    Offset(i64),
    /// `-b ID[±N]`.
    Id(String, i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Show,
    ListBoots,
    DiskUsage,
    Vacuum {
        size: Option<u64>,
        time: Option<u64>,
        files: Option<u64>,
    },
    /// Accepted for compatibility; nothing to do in this store (`--sync`, `--flush`).
    Nothing,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub action: Action,
    pub user: bool,
    pub system: bool,
    pub root: Option<String>,
    /// `--capsule=NAME` (`-C`, systemd ≥ 256): the capsule's user journal.
    pub capsule: Option<String>,
    pub directory: Option<PathBuf>,
    pub units: Vec<String>,
    pub user_units: Vec<String>,
    pub identifiers: Vec<String>,
    pub matches: Vec<String>,
    pub follow: bool,
    pub no_tail: bool,
    pub lines: Option<Lines>,
    pub reverse: bool,
    pub since: Option<u64>,
    pub until: Option<u64>,
    pub priorities: RangeInclusive<u8>,
    pub grep: Option<String>,
    pub case_sensitive: Option<bool>,
    pub output: Mode,
    pub quiet: bool,
    /// Explicit `-b`; `None` with `boot_implied` means the current boot (`-f`, `-e`).
    pub boot: Option<Boot>,
    pub boot_implied: bool,
    pub dmesg: bool,
    pub utc: bool,
    pub no_hostname: bool,
    pub all: bool,
    /// `--cursor=` (from that record on).
    pub cursor: Option<String>,
    /// `--after-cursor=`.
    pub after_cursor: Option<String>,
    /// `--cursor-file=`: resume after the cursor it holds, then store the last one.
    pub cursor_file: Option<PathBuf>,
    pub show_cursor: bool,
    /// `--output-fields=A,B` (repeatable, accumulating).
    pub output_fields: Vec<String>,
}

pub enum Parsed {
    Run(Box<Options>),
    Exit(i32),
}

const SPECS: &[Spec] = &[
    opt("help", Some('h'), HasArg::No),
    opt("version", None, HasArg::No),
    opt("no-pager", None, HasArg::No),
    opt("pager-end", Some('e'), HasArg::No),
    opt("follow", Some('f'), HasArg::No),
    opt("output", Some('o'), HasArg::Required),
    opt("all", Some('a'), HasArg::No),
    opt("full", Some('l'), HasArg::No),
    opt("no-full", None, HasArg::No),
    opt("lines", Some('n'), HasArg::Optional),
    opt("no-tail", None, HasArg::No),
    opt("quiet", Some('q'), HasArg::No),
    opt("merge", Some('m'), HasArg::No),
    opt("this-boot", None, HasArg::No),
    opt("boot", Some('b'), HasArg::Optional),
    opt("list-boots", None, HasArg::No),
    opt("dmesg", Some('k'), HasArg::No),
    opt("system", None, HasArg::No),
    opt("user", None, HasArg::No),
    opt("directory", Some('D'), HasArg::Required),
    opt("root", None, HasArg::Required),
    opt("capsule", Some('C'), HasArg::Required),
    opt("priority", Some('p'), HasArg::Required),
    opt("grep", Some('g'), HasArg::Required),
    opt("case-sensitive", None, HasArg::Optional),
    opt("since", Some('S'), HasArg::Required),
    opt("until", Some('U'), HasArg::Required),
    opt("identifier", Some('t'), HasArg::Required),
    opt("unit", Some('u'), HasArg::Required),
    opt("user-unit", None, HasArg::Required),
    opt("catalog", Some('x'), HasArg::No),
    opt("reverse", Some('r'), HasArg::No),
    opt("utc", None, HasArg::No),
    opt("no-hostname", None, HasArg::No),
    opt("disk-usage", None, HasArg::No),
    opt("vacuum-size", None, HasArg::Required),
    opt("vacuum-files", None, HasArg::Required),
    opt("vacuum-time", None, HasArg::Required),
    opt("sync", None, HasArg::No),
    opt("flush", None, HasArg::No),
    opt("cursor", Some('c'), HasArg::Required),
    opt("after-cursor", None, HasArg::Required),
    opt("cursor-file", None, HasArg::Required),
    opt("show-cursor", None, HasArg::No),
    // Known to journalctl but without meaning for this store: a clear error each.
    opt("machine", Some('M'), HasArg::Required),
    opt("file", None, HasArg::Required),
    opt("image", None, HasArg::Required),
    opt("namespace", None, HasArg::Required),
    opt("fields", Some('N'), HasArg::No),
    opt("field", Some('F'), HasArg::Required),
    opt("facility", None, HasArg::Required),
    opt("output-fields", None, HasArg::Required),
    opt("verify", None, HasArg::No),
    opt("rotate", None, HasArg::No),
    opt("header", None, HasArg::No),
    opt("list-catalog", None, HasArg::No),
    opt("dump-catalog", None, HasArg::No),
    opt("update-catalog", None, HasArg::No),
    opt("setup-keys", None, HasArg::No),
    opt("relinquish-var", None, HasArg::No),
    opt("smart-relinquish-var", None, HasArg::No),
    opt("interval", None, HasArg::Required),
    opt("verify-key", None, HasArg::Required),
    opt("force", None, HasArg::No),
];

fn parse_lines(text: &str) -> Option<Lines> {
    if text == "all" {
        return Some(Lines::All);
    }
    let (oldest, digits) = match text.strip_prefix('+') {
        Some(d) => (true, d),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.parse().ok()?;
    Some(if oldest {
        Lines::Oldest(n)
    } else {
        Lines::Newest(n)
    })
}

fn parse_signed(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `all` (→ `None`: no boot filter), `ID`, `ID±N`, `±N`.
fn parse_boot(text: &str) -> Option<Option<Boot>> {
    if text == "all" {
        return Some(None);
    }
    let id_len = if text.len() >= 36 && text.as_bytes().get(8) == Some(&b'-') {
        36
    } else {
        32
    };
    if let Some(id) = text
        .get(..id_len)
        .and_then(unitbox_core::state::boot::normalize_boot_id)
    {
        let offset = match &text[id_len..] {
            "" => 0,
            rest if rest.starts_with(['+', '-']) => parse_signed(rest)?,
            _ => return None,
        };
        return Some(Some(Boot::Id(id, offset)));
    }
    parse_signed(text).map(|n| Some(Boot::Offset(n)))
}

/// `-p err` (0..=3) or `-p FROM..TO` (either order).
fn parse_priorities(text: &str) -> Result<RangeInclusive<u8>, String> {
    if let Some((from, to)) = text.split_once("..") {
        return match (parse_priority(from), parse_priority(to)) {
            (Some(a), Some(b)) => Ok(a.min(b)..=a.max(b)),
            _ => Err(format!("Failed to parse log level range {text}")),
        };
    }
    parse_priority(text)
        .map(|p| 0..=p)
        .ok_or_else(|| format!("Unknown log level {text}"))
}

pub fn parse(args: Vec<OsString>, now_us: u64, tz: &TimeZone) -> Result<Parsed, String> {
    let args: Vec<OsString> = args.into_iter().skip(1).collect();
    let mut o = Options {
        action: Action::Show,
        user: false,
        system: false,
        root: None,
        capsule: None,
        directory: None,
        units: Vec::new(),
        user_units: Vec::new(),
        identifiers: Vec::new(),
        matches: Vec::new(),
        follow: false,
        no_tail: false,
        lines: None,
        reverse: false,
        since: None,
        until: None,
        priorities: 0..=7,
        grep: None,
        case_sensitive: None,
        output: Mode::Line(LineMode::Short),
        quiet: false,
        boot: None,
        boot_implied: false,
        dmesg: false,
        utc: false,
        no_hostname: false,
        all: false,
        cursor: None,
        after_cursor: None,
        cursor_file: None,
        show_cursor: false,
        output_fields: Vec::new(),
    };
    let mut pager_end = false;
    let mut vacuum = (None, None, None);
    let mut p = Parser::new("journalctl", SPECS, args);
    while let Some(found) = p.next_option().map_err(|e| e.0)? {
        let value = found.value.clone().unwrap_or_default();
        match found.name {
            "help" => {
                print!("{}", include_str!("help.txt"));
                return Ok(Parsed::Exit(0));
            }
            "version" => {
                unitbox_core::version::print();
                return Ok(Parsed::Exit(0));
            }
            "no-pager" | "full" | "no-full" | "merge" | "catalog" => {}
            "pager-end" => pager_end = true,
            "follow" => o.follow = true,
            "output" => o.output = Mode::parse(&value)?,
            "all" => o.all = true,
            "lines" => match found.value.as_deref() {
                Some(text) => {
                    o.lines =
                        Some(parse_lines(text).ok_or(format!("Failed to parse lines '{text}'"))?)
                }
                None => {
                    let next = p.peek().and_then(parse_lines);
                    if next.is_some() {
                        p.take_peeked();
                    }
                    o.lines = Some(next.unwrap_or(Lines::Newest(10)));
                }
            },
            "no-tail" => o.no_tail = true,
            "quiet" => o.quiet = true,
            "this-boot" => o.boot = Some(Boot::Offset(0)),
            "boot" => match found.value.as_deref() {
                Some(text) => {
                    o.boot = parse_boot(text)
                        .ok_or(format!("Failed to parse boot descriptor '{text}'"))?
                }
                None => {
                    let next = p.peek().and_then(parse_boot);
                    if next.is_some() {
                        p.take_peeked();
                    }
                    o.boot = next.unwrap_or(Some(Boot::Offset(0)));
                }
            },
            "list-boots" => o.action = Action::ListBoots,
            "dmesg" => {
                o.dmesg = true;
                o.boot.get_or_insert(Boot::Offset(0));
            }
            "system" => o.system = true,
            "user" => o.user = true,
            "directory" => o.directory = Some(PathBuf::from(value)),
            "root" => o.root = Some(value),
            "capsule" => o.capsule = Some(value),
            "priority" => o.priorities = parse_priorities(&value)?,
            "grep" => o.grep = Some(value),
            "case-sensitive" => {
                o.case_sensitive = Some(match found.value.as_deref() {
                    None => true,
                    Some(text) => parse_bool(text).ok_or(format!(
                        "Bad --case-sensitive= argument \"{text}\": Invalid argument"
                    ))?,
                })
            }
            "since" => {
                o.since = Some(
                    parse_timestamp(&value, now_us, tz)
                        .ok_or(format!("Failed to parse timestamp: {value}"))?,
                )
            }
            "until" => {
                o.until = Some(
                    parse_timestamp(&value, now_us, tz)
                        .ok_or(format!("Failed to parse timestamp: {value}"))?,
                )
            }
            "identifier" => o.identifiers.push(value),
            "unit" => o.units.push(value),
            "user-unit" => o.user_units.push(value),
            "reverse" => o.reverse = true,
            "utc" => o.utc = true,
            "no-hostname" => o.no_hostname = true,
            "disk-usage" => o.action = Action::DiskUsage,
            "vacuum-size" => {
                vacuum.0 = Some(
                    parse_size(&value)
                        .map_err(|_| format!("Failed to parse vacuum size: {value}"))?,
                )
            }
            "vacuum-time" => {
                vacuum.1 = Some(
                    parse_timespan(&value)
                        .ok_or(format!("Failed to parse vacuum time: {value}"))?,
                )
            }
            "vacuum-files" => {
                vacuum.2 = Some(
                    value
                        .parse()
                        .map_err(|_| format!("Failed to parse vacuum files: {value}"))?,
                )
            }
            "cursor" => o.cursor = Some(value),
            "after-cursor" => o.after_cursor = Some(value),
            "cursor-file" => o.cursor_file = Some(PathBuf::from(value)),
            "show-cursor" => o.show_cursor = true,
            "output-fields" => o.output_fields.extend(
                value
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string),
            ),
            "sync" | "flush" => o.action = Action::Nothing,
            unsupported => {
                return Err(format!(
                    "--{unsupported} is not supported by unitbox's journal store."
                ))
            }
        }
    }
    if vacuum != (None, None, None) {
        o.action = Action::Vacuum {
            size: vacuum.0,
            time: vacuum.1,
            files: vacuum.2,
        };
    }
    o.matches = p.operand_strings();
    finish(o, pager_end).map(|o| Parsed::Run(Box::new(o)))
}

/// The checks and implications systemd applies after reading all options.
fn finish(mut o: Options, pager_end: bool) -> Result<Options, String> {
    if pager_end && o.lines.is_none() {
        o.lines = Some(Lines::Newest(1000));
    }
    let starts = [
        o.since.is_some(),
        o.cursor.is_some(),
        o.after_cursor.is_some(),
    ];
    if starts.iter().filter(|&&c| c).count() > 1 {
        return Err("Please specify only one of --since=, --cursor=, and --after-cursor=.".into());
    }
    if o.follow && !o.no_tail && o.since.is_none() && o.lines.is_none() {
        o.lines = Some(Lines::Newest(10));
    }
    if o.no_tail {
        o.lines = Some(Lines::All);
    }
    // systemd 252: -f and -e look at the current boot unless -b says otherwise.
    o.boot_implied = (o.follow || pager_end) && o.boot.is_none();
    if o.directory.is_some() && o.root.is_some() {
        return Err(
            "Please specify at most one of -D/--directory=, --file=, -M/--machine=, --root.".into(),
        );
    }
    if let (Some(since), Some(until)) = (o.since, o.until) {
        if since > until {
            return Err("--since= must be before --until=.".into());
        }
    }
    if o.follow && o.reverse {
        return Err("Please specify either --reverse= or --follow=, not both.".into());
    }
    if o.action != Action::Show {
        if let Some(first) = o.matches.first() {
            return Err(format!("Extraneous arguments starting with '{first}'"));
        }
    }
    if (o.user || o.capsule.is_some()) && !o.system {
        // With --user (which --capsule implies), -u means a user unit (systemd does the
        // same conversion).
        let units = std::mem::take(&mut o.units);
        o.user_units.extend(units);
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        let mut argv = vec![OsString::from("journalctl")];
        argv.extend(args.iter().map(OsString::from));
        match parse(argv, 1_000_000_000_000_000, &TimeZone::utc())? {
            Parsed::Run(o) => Ok(*o),
            Parsed::Exit(c) => Err(format!("exit {c}")),
        }
    }

    #[test]
    fn booleans_are_case_insensitive_as_systemds_parse_boolean() {
        assert_eq!(
            run(&["--case-sensitive=YES"]).unwrap().case_sensitive,
            Some(true)
        );
        assert_eq!(
            run(&["--case-sensitive=Off"]).unwrap().case_sensitive,
            Some(false)
        );
        assert!(run(&["--case-sensitive=maybe"]).is_err());
    }

    #[test]
    fn lines_and_boots_peek_at_the_next_word() {
        assert_eq!(run(&["-n", "5"]).unwrap().lines, Some(Lines::Newest(5)));
        assert_eq!(run(&["-n5"]).unwrap().lines, Some(Lines::Newest(5)));
        assert_eq!(run(&["--lines=+3"]).unwrap().lines, Some(Lines::Oldest(3)));
        assert_eq!(run(&["-n", "all"]).unwrap().lines, Some(Lines::All));
        let o = run(&["-n", "X=1"]).unwrap();
        assert_eq!(
            (o.lines, o.matches),
            (Some(Lines::Newest(10)), vec!["X=1".into()])
        );
        assert_eq!(
            run(&["--lines=abc"]).unwrap_err(),
            "Failed to parse lines 'abc'"
        );
        assert_eq!(run(&["-n5x"]).unwrap_err(), "Failed to parse lines '5x'");
        assert_eq!(run(&["-b"]).unwrap().boot, Some(Boot::Offset(0)));
        assert_eq!(run(&["-b", "-1"]).unwrap().boot, Some(Boot::Offset(-1)));
        assert_eq!(run(&["-b", "all"]).unwrap().boot, None);
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            run(&[&format!("--boot={id}-2")]).unwrap().boot,
            Some(Boot::Id(id.into(), -2))
        );
        assert_eq!(
            run(&["--boot=xyz"]).unwrap_err(),
            "Failed to parse boot descriptor 'xyz'"
        );
    }

    #[test]
    fn implications() {
        let o = run(&["-f"]).unwrap();
        assert_eq!(o.lines, Some(Lines::Newest(10)));
        assert!(o.boot_implied);
        assert_eq!(run(&["-e"]).unwrap().lines, Some(Lines::Newest(1000)));
        assert_eq!(run(&["-f", "--no-tail"]).unwrap().lines, Some(Lines::All));
        assert_eq!(run(&["-f", "-S", "now"]).unwrap().lines, None);
        let o = run(&["--user", "-u", "foo"]).unwrap();
        assert_eq!((o.units.len(), o.user_units), (0, vec!["foo".to_string()]));
        let o = run(&["-C", "tatze", "-u", "foo"]).unwrap();
        assert_eq!(o.capsule.as_deref(), Some("tatze"));
        assert_eq!((o.units.len(), o.user_units), (0, vec!["foo".to_string()]));
        assert_eq!(run(&["-k"]).unwrap().boot, Some(Boot::Offset(0)));
    }

    #[test]
    fn priorities() {
        assert_eq!(run(&["-p", "err"]).unwrap().priorities, 0..=3);
        assert_eq!(run(&["-p", "4"]).unwrap().priorities, 0..=4);
        assert_eq!(run(&["-p", "info..err"]).unwrap().priorities, 3..=6);
        assert_eq!(run(&["-p", "1..2"]).unwrap().priorities, 1..=2);
        assert_eq!(run(&["-p", "9"]).unwrap_err(), "Unknown log level 9");
        assert_eq!(
            run(&["-p", "err..foo"]).unwrap_err(),
            "Failed to parse log level range err..foo"
        );
    }

    #[test]
    fn errors_match_systemd() {
        assert_eq!(
            run(&["-S", "today", "-U", "yesterday"]).unwrap_err(),
            "--since= must be before --until=."
        );
        assert_eq!(
            run(&["-f", "-r"]).unwrap_err(),
            "Please specify either --reverse= or --follow=, not both."
        );
        assert_eq!(
            run(&["-S", "garbage"]).unwrap_err(),
            "Failed to parse timestamp: garbage"
        );
        assert_eq!(
            run(&["--vacuum-size=bad"]).unwrap_err(),
            "Failed to parse vacuum size: bad"
        );
        assert_eq!(
            run(&["--vacuum-time=bad"]).unwrap_err(),
            "Failed to parse vacuum time: bad"
        );
        assert_eq!(
            run(&["--case-sensitive=maybe"]).unwrap_err(),
            "Bad --case-sensitive= argument \"maybe\": Invalid argument"
        );
        assert_eq!(
            run(&["-o", "export2"]).unwrap_err(),
            "Unknown output format 'export2'."
        );
        assert_eq!(
            run(&["--bogus"]).unwrap_err(),
            "journalctl: unrecognized option '--bogus'"
        );
        assert_eq!(
            run(&["--disk-usage", "x"]).unwrap_err(),
            "Extraneous arguments starting with 'x'"
        );
        assert!(run(&["--file=x"]).unwrap_err().contains("not supported"));
        assert_eq!(
            run(&["--cursor=x", "--after-cursor=y"]).unwrap_err(),
            "Please specify only one of --since=, --cursor=, and --after-cursor=."
        );
        let o = run(&["--show-cursor", "--after-cursor", "i=1"]).unwrap();
        assert!(o.show_cursor && o.after_cursor.as_deref() == Some("i=1"));
    }
}
