//! journalctl over journal stores written with the core's writer in scratch `--root` trees.

mod shippers;

use crate::support::{applet, python, run_cmd, Run, Tree};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use unitbox_core::journal::record::{Source, Stream};
use unitbox_core::journal::writer::JournalWriter;
use unitbox_core::state::boot::current_boot_id;

/// 2024-01-01 10:00:00 UTC, a Monday.
const T0: u64 = 1_704_103_200_000_000;
const MINUTE: u64 = 60_000_000;

fn journal_dir(tree: &Tree) -> PathBuf {
    let dir = tree.host("/run/unitbox/journal");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn source(unit: &str, pid: u32) -> Source {
    Source {
        boot_id: current_boot_id().to_string(),
        stream: Stream::Stdout,
        pid,
        uid: Some(0),
        unit: unit.into(),
        identifier: unit.trim_end_matches(".service").into(),
        invocation_id: "0123456789abcdef0123456789abcdef".into(),
    }
}

/// Writes (unit, minutes after T0, priority, message) records.
fn write(tree: &Tree, records: &[(&str, u64, u8, &str)]) {
    let dir = journal_dir(tree);
    for &(unit, minutes, priority, message) in records {
        let mut w = JournalWriter::open_in(&dir, unit, 1 << 20).unwrap();
        w.append_at(
            T0 + minutes * MINUTE,
            minutes * MINUTE,
            &source(unit, 100),
            priority,
            message.as_bytes(),
        )
        .unwrap();
    }
}

fn journalctl(tree: &Tree, args: &[&str]) -> Run {
    run_cmd(
        Command::new(applet("journalctl"))
            .env("TZ", "UTC")
            .arg(format!("--root={}", tree.path().display()))
            .args(args),
    )
}

fn sample() -> Tree {
    let tree = Tree::new();
    write(
        &tree,
        &[
            ("web.service", 0, 6, "web starting"),
            ("db.service", 1, 3, "db Error: disk full"),
            ("web.service", 2, 4, "web warning: slow"),
            ("db.service", 3, 7, "db debug chatter"),
            ("web.service", 4, 2, "web critical"),
        ],
    );
    tree
}

fn lines(run: &Run) -> Vec<&str> {
    run.ok().stdout.lines().collect()
}

#[test]
fn merges_units_in_time_order() {
    let tree = sample();
    let all = journalctl(&tree, &["-o", "cat"]);
    assert_eq!(
        lines(&all),
        [
            "web starting",
            "db Error: disk full",
            "web warning: slow",
            "db debug chatter",
            "web critical"
        ]
    );
    let web = journalctl(&tree, &["-o", "cat", "-u", "web"]);
    assert_eq!(
        lines(&web),
        ["web starting", "web warning: slow", "web critical"]
    );
    let glob = journalctl(&tree, &["-o", "cat", "-u", "d*", "-u", "nothing"]);
    assert_eq!(lines(&glob), ["db Error: disk full", "db debug chatter"]);
    let ident = journalctl(&tree, &["-o", "cat", "-t", "db", "-p", "err"]);
    assert_eq!(lines(&ident), ["db Error: disk full"]);
}

#[test]
fn priorities_single_and_ranges() {
    let tree = sample();
    let err = journalctl(&tree, &["-o", "cat", "-p", "err"]);
    assert_eq!(lines(&err), ["db Error: disk full", "web critical"]);
    let range = journalctl(&tree, &["-o", "cat", "-p", "warning..err"]);
    assert_eq!(lines(&range), ["db Error: disk full", "web warning: slow"]);
    let numeric = journalctl(&tree, &["-o", "cat", "-p", "2..2"]);
    assert_eq!(lines(&numeric), ["web critical"]);
    let bad = journalctl(&tree, &["-p", "loud"]);
    assert_eq!(
        (bad.code, bad.stderr.as_str()),
        (1, "Unknown log level loud\n")
    );
}

#[test]
fn since_until_lines_and_reverse() {
    let tree = sample();
    let window = journalctl(
        &tree,
        &[
            "-o",
            "cat",
            "-S",
            "2024-01-01 10:01",
            "-U",
            "2024-01-01 10:03:00",
        ],
    );
    assert_eq!(
        lines(&window),
        [
            "db Error: disk full",
            "web warning: slow",
            "db debug chatter"
        ]
    );
    let newest = journalctl(&tree, &["-o", "cat", "-n", "2"]);
    assert_eq!(lines(&newest), ["db debug chatter", "web critical"]);
    let reversed = journalctl(&tree, &["-o", "cat", "-n2", "-r"]);
    assert_eq!(lines(&reversed), ["web critical", "db debug chatter"]);
    let oldest = journalctl(&tree, &["-o", "cat", "--lines=+1"]);
    assert_eq!(lines(&oldest), ["web starting"]);
    let future = journalctl(&tree, &["-S", "tomorrow"]);
    assert_eq!(future.ok().stdout, "-- No entries --\n");
    let quiet = journalctl(&tree, &["-S", "+1h", "-q"]);
    assert_eq!(quiet.ok().stdout, "");
    let backwards = journalctl(&tree, &["-S", "today", "-U", "yesterday"]);
    assert_eq!(
        (backwards.code, backwards.stderr.as_str()),
        (1, "--since= must be before --until=.\n")
    );
}

#[test]
fn grep_is_case_insensitive_for_lowercase_patterns() {
    let tree = sample();
    let found = journalctl(&tree, &["-o", "cat", "-g", "error|critical"]);
    assert_eq!(lines(&found), ["db Error: disk full", "web critical"]);
    let sensitive = journalctl(&tree, &["-o", "cat", "-g", "error", "--case-sensitive"]);
    assert_eq!(sensitive.ok().stdout, "-- No entries --\n");
    let upper = journalctl(&tree, &["-o", "cat", "-g", "Error"]);
    assert_eq!(lines(&upper), ["db Error: disk full"]);
    let bad = journalctl(&tree, &["-g", "("]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.starts_with("Bad pattern \"(\": "), "{bad:?}");
}

#[test]
fn short_and_json_outputs() {
    let tree = sample();
    let short = journalctl(&tree, &["--no-hostname", "-n", "1"]);
    assert_eq!(
        short.ok().stdout,
        "Jan 01 10:04:00 web[100]: web critical\n"
    );
    let iso = journalctl(&tree, &["--no-hostname", "-n1", "-o", "short-iso"]);
    assert_eq!(
        iso.ok().stdout,
        "2024-01-01T10:04:00+00:00 web[100]: web critical\n"
    );
    let json = journalctl(&tree, &["-o", "json", "-u", "db"]);
    let script = r#"
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    assert all(isinstance(v, str) for v in e.values()), e
    print(e["MESSAGE"], e["PRIORITY"], e["_SYSTEMD_UNIT"], e["_PID"], e["SYSLOG_IDENTIFIER"],
          e["__REALTIME_TIMESTAMP"], e["_TRANSPORT"], len(e["_BOOT_ID"]), "__CURSOR" in e)
"#;
    let parsed = python(script, &json.ok().stdout);
    assert_eq!(
        parsed,
        format!(
            "db Error: disk full 3 db.service 100 db {} stdout 32 True\n\
             db debug chatter 7 db.service 100 db {} stdout 32 True\n",
            T0 + MINUTE,
            T0 + 3 * MINUTE
        )
    );
    let delta = journalctl(&tree, &["-o", "short-delta"]);
    assert_eq!(delta.code, 1);
    assert_eq!(delta.stderr.lines().count(), 1);
}

#[test]
fn bad_options_give_one_line_and_exit_1() {
    let tree = Tree::new();
    for args in [
        &["--bogus"][..],
        &["-u"],
        &["--since=garbage"],
        &["--lines=abc"],
        &["--boot=xyz"],
        &["-f", "-r"],
        &["NOT A MATCH"],
    ] {
        let run = journalctl(&tree, args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {run:?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
    let empty = journalctl(&tree, &[]);
    assert_eq!(empty.ok().stdout, "-- No entries --\n");
}

#[test]
fn boots_are_listed_and_selected() {
    let tree = Tree::new();
    let dir = journal_dir(&tree);
    let mut w = JournalWriter::open_in(&dir, "a.service", 1 << 20).unwrap();
    let mut old = source("a.service", 5);
    old.boot_id = "f".repeat(32);
    w.append_at(T0, 1, &old, 6, b"previous boot").unwrap();
    w.append_at(T0 + MINUTE, 1, &source("a.service", 6), 6, b"this boot")
        .unwrap();
    let boots = journalctl(&tree, &["--list-boots"]);
    assert_eq!(
        lines(&boots),
        [
            format!(
                "-1 {} Mon 2024-01-01 10:00:00 UTC—Mon 2024-01-01 10:00:00 UTC",
                "f".repeat(32)
            ),
            format!(
                " 0 {} Mon 2024-01-01 10:01:00 UTC—Mon 2024-01-01 10:01:00 UTC",
                current_boot_id()
            ),
        ]
    );
    assert_eq!(
        lines(&journalctl(&tree, &["-o", "cat", "-b"])),
        ["this boot"]
    );
    assert_eq!(
        lines(&journalctl(&tree, &["-o", "cat", "-b", "-1"])),
        ["previous boot"]
    );
    let all = journalctl(&tree, &["--no-hostname", "-b", "all"]);
    assert_eq!(
        lines(&all),
        [
            "Jan 01 10:00:00 a[5]: previous boot".to_string(),
            format!("-- Boot {} --", current_boot_id()),
            "Jan 01 10:01:00 a[6]: this boot".to_string(),
        ]
    );
    let missing = journalctl(&tree, &["-b", "-5"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("No such boot ID in journal"));
}

#[test]
fn vacuum_and_disk_usage() {
    let tree = Tree::new();
    let dir = journal_dir(&tree);
    let mut w = JournalWriter::open_in(&dir, "big.service", 4096).unwrap();
    for i in 0..200u64 {
        w.append_at(T0 + i, i, &source("big.service", 1), 6, &[b'x'; 100])
            .unwrap();
    }
    let rotated = dir.join("big.service.journal.1");
    assert!(rotated.exists());
    let usage = journalctl(&tree, &["--disk-usage"]);
    let text = usage.ok().stdout.clone();
    assert!(
        text.starts_with("Archived and active journals take up ")
            && text.ends_with(" in the file system.\n")
            && !text.contains(" 0B "),
        "{text}"
    );
    let vacuum = journalctl(&tree, &["--vacuum-size=1"]);
    assert!(vacuum.ok().stderr.contains("Deleted archived journal"));
    assert!(vacuum.stderr.contains("Vacuuming done, freed "));
    assert!(!rotated.exists(), "the archived file is gone");
    assert!(
        dir.join("big.service.journal").exists(),
        "the live file stays"
    );
    let again = journalctl(&tree, &["--vacuum-time=1s"]);
    assert!(again.ok().stderr.contains("freed 0B"));
}

/// `journalctl -f` prints the last lines, then every new record as it is written, across
/// rotations, until it is killed.
#[test]
fn follow_prints_new_records_across_rotation() {
    let tree = Tree::new();
    let dir = journal_dir(&tree);
    let mut w = JournalWriter::open_in(&dir, "f.service", 2048).unwrap();
    let src = source("f.service", 9);
    for i in 0..15 {
        w.append(&src, 6, format!("old {i}").as_bytes()).unwrap();
    }
    let (mut child, rx) = spawn_follower(&tree, &["-f", "-o", "cat", "-u", "f"]);
    let collect = |n: usize| -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = Vec::new();
        while got.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => got.push(line),
                Err(_) => break,
            }
        }
        got
    };
    let initial = collect(10);
    let expected: Vec<String> = (5..15).map(|i| format!("old {i}")).collect();
    assert_eq!(initial, expected, "the last 10 first");
    // 60 records of ~120 bytes each rotate the 2 KiB file several times; the follower is
    // woken by every append, so it keeps up.
    let mut sent = Vec::new();
    for i in 0..60 {
        let message = format!("new {i}");
        w.append(&src, 6, message.as_bytes()).unwrap();
        sent.push(message);
        if i % 10 == 9 {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(dir.join("f.service.journal.1").exists(), "rotated");
    let followed = collect(sent.len());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(followed, sent);
}

/// `journalctl --root=TREE ARGS…` running, its stdout lines arriving on the receiver.
fn spawn_follower<S: AsRef<std::ffi::OsStr>>(
    tree: &Tree,
    args: &[S],
) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(applet("journalctl"))
        .arg(format!("--root={}", tree.path().display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn journalctl");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn json_field(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!("\"{name}\":\""))? + name.len() + 4;
    let len = line[start..].find('"')?;
    Some(line[start..start + len].to_string())
}

/// Log shippers resume with cursors: a reader follows while two units keep logging, is
/// killed, and resumes with `--after-cursor=` its last `__CURSOR`: the union is every
/// record exactly once, across units and rotations. `--cursor-file=` and `--show-cursor`
/// do the same in one option.
#[test]
fn resuming_after_a_cursor_neither_repeats_nor_loses() {
    let tree = Tree::new();
    let dir = journal_dir(&tree);
    let total = 2000;
    let writer_dir = dir.clone();
    let (mut child, rx) = spawn_follower(
        &tree,
        &["--follow", "--all", "--output=json", "--since=2000-01-01"],
    );
    let writer = std::thread::spawn(move || {
        let mut a = JournalWriter::open_in(&writer_dir, "a.service", 128 * 1024).unwrap();
        let mut b = JournalWriter::open_in(&writer_dir, "b.service", 128 * 1024).unwrap();
        for i in 0..total {
            let (w, unit) = if i % 3 == 0 {
                (&mut b, "b.service")
            } else {
                (&mut a, "a.service")
            };
            w.append(&source(unit, 5), 6, format!("r{i}").as_bytes())
                .unwrap();
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });
    // Read some, then kill the reader mid-stream.
    let mut first = Vec::new();
    let mut last_cursor = None;
    while first.len() < 400 {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) else {
            break;
        };
        if let (Some(c), Some(m)) = (json_field(&line, "__CURSOR"), json_field(&line, "MESSAGE")) {
            last_cursor = Some(c);
            first.push(m);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    writer.join().unwrap();
    assert!(
        dir.join("a.service.journal.1").exists(),
        "rotated meanwhile"
    );
    let cursor = last_cursor.expect("the reader saw records");
    let rest = journalctl(&tree, &["-o", "cat", &format!("--after-cursor={cursor}")]);
    let mut all = first.clone();
    all.extend(lines(&rest).iter().map(|l| l.to_string()));
    let expected: Vec<String> = (0..total).map(|i| format!("r{i}")).collect();
    let differs = all.iter().zip(&expected).position(|(a, b)| a != b);
    assert!(
        all.len() == expected.len() && differs.is_none(),
        "{} records, first difference at {differs:?}, resumed after {} of them",
        all.len(),
        first.len()
    );

    // --cursor= starts at the record itself; a bad cursor is systemd's error.
    let at = journalctl(
        &tree,
        &["-o", "cat", "-n", "1", &format!("--cursor={cursor}")],
    );
    assert_eq!(lines(&at)[0], first.last().unwrap());
    let bad = journalctl(&tree, &["--after-cursor=nonsense"]);
    assert_eq!(
        (bad.code, bad.stderr.trim()),
        (1, "Failed to seek to cursor: Invalid argument")
    );

    // --cursor-file: the first run stores where it ended, the second resumes after it.
    let file = tree.path().join("cursor");
    let file_arg = format!("--cursor-file={}", file.display());
    let one = journalctl(&tree, &["-o", "cat", "-u", "b", &file_arg]);
    assert_eq!(
        lines(&one).last().unwrap(),
        &format!("r{}", total - 1 - (total - 1) % 3)
    );
    writer_append(&dir, "b.service", "after the file");
    let two = journalctl(&tree, &["-o", "cat", "-u", "b", "--show-cursor", &file_arg]);
    let two = lines(&two);
    assert_eq!(two[0], "after the file");
    assert!(two[1].starts_with("-- cursor: s="), "{two:?}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap().trim(),
        two[1].trim_start_matches("-- cursor: ")
    );
}

fn writer_append(dir: &std::path::Path, unit: &str, message: &str) {
    let mut w = JournalWriter::open_in(dir, unit, 128 * 1024).unwrap();
    w.append(&source(unit, 5), 6, message.as_bytes()).unwrap();
}
