//! journalctl as log shippers use it: `-o export` (the Journal Export Format, read back by
//! an independent parser written from systemd's JOURNAL_EXPORT_FORMATS) and Vector's journald
//! source's exact command lines, killed and resumed with `--after-cursor=`.

use super::{journal_dir, journalctl, source, spawn_follower, writer_append};
use crate::support::{applet, python, Tree};
use std::process::Command;
use std::time::Duration;
use unitbox_core::journal::writer::JournalWriter;

/// Reads the export stream on stdin as JOURNAL_EXPORT_FORMATS describes it and prints each
/// entry as JSON (keys in order; binary-safe values as strings when they are UTF-8).
const EXPORT_PARSER: &str = r#"
import json, struct, sys
data = sys.stdin.buffer.read()
entries, entry, i = [], [], 0
while i < len(data):
    nl = data.index(b"\n", i)
    line = data[i:nl]
    if line == b"":
        entries.append(entry); entry = []; i = nl + 1; continue
    if b"=" in line:
        k, v = line.split(b"=", 1); i = nl + 1
    else:
        k = line
        (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
        v = data[nl + 9:nl + 9 + n]
        assert data[nl + 9 + n:nl + 10 + n] == b"\n", "binary field ends with a newline"
        i = nl + 10 + n
    entry.append((k.decode(), v.decode()))
assert entry == [], "the last entry ends with an empty line"
for e in entries:
    print(json.dumps(e))
"#;

#[test]
fn export_is_the_journal_export_format() {
    let tree = Tree::new();
    let dir = journal_dir(&tree);
    let mut w = JournalWriter::open_in(&dir, "web.service", 1 << 20).unwrap();
    let detail = vec![("DETAIL".to_string(), b"two\nlines".to_vec())];
    w.append_fields(&source("web.service", 7), 3, &detail, b"first\tone")
        .unwrap();
    writer_append(&dir, "web.service", "second");
    let export = Command::new(applet("journalctl"))
        .arg(format!("--root={}", tree.path().display()))
        .args(["-o", "export"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let raw = &export.stdout;
    // Newline in a value: the length-prefixed form, byte for byte.
    let needle = b"\nDETAIL\n\x09\0\0\0\0\0\0\0two\nlines\n";
    assert!(raw.windows(needle.len()).any(|w| w == needle), "{raw:?}");
    let parsed = python(EXPORT_PARSER, &String::from_utf8_lossy(raw));
    let entries: Vec<&str> = parsed.lines().collect();
    assert_eq!(entries.len(), 2, "{parsed}");
    // The header fields first, then the same fields and values as -o json.
    let json = journalctl(&tree, &["-o", "json"]).ok().stdout.clone();
    let compare = r#"
import json, sys
export, js = sys.stdin.read().split("\n--\n")
for e, j in zip(export.strip().splitlines(), js.strip().splitlines()):
    e, j = json.loads(e), json.loads(j)
    print([k for k, _ in e[:4]], dict(e) == j, len(e) == len(j))
"#;
    let input = format!("{parsed}\n--\n{json}");
    assert_eq!(
        python(compare, &input),
        "['__CURSOR', '__REALTIME_TIMESTAMP', '__MONOTONIC_TIMESTAMP', '_BOOT_ID'] True True\n"
            .repeat(2)
    );
    // --output-fields=: the header and the fields asked for, in export and JSON alike.
    let some = journalctl(
        &tree,
        &[
            "-o",
            "export",
            "--output-fields=MESSAGE,PRIORITY",
            "-n",
            "1",
        ],
    );
    let keys: Vec<&str> = some
        .ok()
        .stdout
        .lines()
        .map(|l| l.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "__CURSOR",
            "__REALTIME_TIMESTAMP",
            "__MONOTONIC_TIMESTAMP",
            "_BOOT_ID",
            "PRIORITY",
            "MESSAGE",
            ""
        ]
    );
    let json = journalctl(&tree, &["-o", "json", "--output-fields=MESSAGE", "-n", "1"]);
    let check = "import json,sys; print(sorted(json.loads(sys.stdin.read())))";
    assert_eq!(
        python(check, &json.ok().stdout),
        "['MESSAGE', '_BOOT_ID', '__CURSOR', '__MONOTONIC_TIMESTAMP', '__REALTIME_TIMESTAMP']\n"
    );
    // No "-- No entries --" in a machine format.
    let none = journalctl(&tree, &["-o", "export", "-u", "nothing"]);
    assert_eq!(none.ok().stdout, "");
}

/// Follows with `args` and collects (cursor, message) pairs until `n` are seen.
fn follow(tree: &Tree, args: &[String], n: usize) -> Vec<(String, String)> {
    let (mut child, rx) = spawn_follower(tree, args);
    let mut got = Vec::new();
    while got.len() < n {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) else {
            break;
        };
        let field = |name: &str| super::json_field(&line, name);
        if let (Some(c), Some(m)) = (field("__CURSOR"), field("MESSAGE")) {
            got.push((c, m));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    got
}

/// Vector's journald source runs `journalctl --follow --all --show-cursor --output=json
/// --boot --since=2000-01-01`, and after a restart the same with `--after-cursor=` its last
/// `__CURSOR` instead of `--since=`. Records of another boot are left out; the union of
/// the two runs is every record of this boot exactly once.
#[test]
fn vectors_command_lines_resume_exactly() {
    let tree = Tree::new();
    let dir = journal_dir(&tree);
    let mut old = source("old.service", 3);
    old.boot_id = "00000000000000000000000000000001".into();
    JournalWriter::open_in(&dir, "old.service", 1 << 20)
        .unwrap()
        .append(&old, 6, b"from another boot")
        .unwrap();
    for i in 0..30 {
        writer_append(&dir, "app.service", &format!("m{i}"));
    }
    let base: Vec<String> = [
        "--follow",
        "--all",
        "--show-cursor",
        "--output=json",
        "--boot",
    ]
    .map(String::from)
    .to_vec();
    let mut first_args = base.clone();
    first_args.push("--since=2000-01-01".into());
    let first = follow(&tree, &first_args, 30);
    let messages = |v: &[(String, String)]| v.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>();
    assert_eq!(
        messages(&first),
        (0..30).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    // Written while the shipper is down; then it resumes and follows on.
    for i in 30..40 {
        writer_append(&dir, "app.service", &format!("m{i}"));
    }
    let mut resume_args = base;
    resume_args.push(format!("--after-cursor={}", first.last().unwrap().0));
    let writer_dir = dir.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        for i in 40..50 {
            writer_append(&writer_dir, "app.service", &format!("m{i}"));
        }
    });
    let rest = follow(&tree, &resume_args, 20);
    writer.join().unwrap();
    assert_eq!(
        messages(&rest),
        (30..50).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
}
