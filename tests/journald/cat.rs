//! Our `systemd-cat` against the machine's `/usr/bin/systemd-cat` (systemd 252): the same
//! scenarios, each client against a journald of its own, give the same records (fields,
//! priorities, identifiers), and the same errors and exit codes.

use super::{in_journal_namespace, start_journald, wait_for};
use crate::lifecycle::Lab;
use crate::support::{applet, python, run_cmd};
use std::process::Command;

const REAL: &str = "/usr/bin/systemd-cat";

/// Every option and both inputs (stdin, a command); `CAT` is the client under test.
const SCENARIOS: &str = r#"
printf 'plain\n<3>an error\nno newline' | CAT -t stdin-id -p notice &&
CAT -t cmd-id --stderr-priority=err sh -c 'echo to-out; echo to-err >&2' &&
CAT --identifier=np-id --level-prefix=no -p warning sh -c 'echo "<1>kept"' &&
CAT -p 7 --level-prefix=0 --stderr-priority=debug sh -c 'echo no-identifier; echo same-stream >&2' &&
CAT --identifier= --prio=crit sh -c 'echo "<6>empty-identifier"' &&
CAT --level-prefix=YES -tupper sh -c 'echo "<2>prefixed"'
"#;
const RECORDS: usize = 10;

/// The records as sorted JSON lines without what differs between any two runs (times,
/// cursors, pids, stream ids) and what journald reads from /proc of a sender that may
/// already be gone (`sh -c echo` is quick; 252 reads /proc as late as we do). For stdin, 252
/// execs `/bin/cat` where we copy ourselves: its `_COMM` would differ too.
const NORMALIZE: &str = r#"
import json, sys
out = []
for line in sys.stdin:
    e = json.loads(line)
    for k in ("__CURSOR", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "__SEQNUM", "__SEQNUM_ID",
              "_PID", "_STREAM_ID", "_SOURCE_REALTIME_TIMESTAMP", "_COMM", "_EXE", "_CMDLINE"):
        e.pop(k, None)
    out.append(json.dumps(e, sort_keys=True))
print("\n".join(sorted(out)))
"#;

fn records_of(client: &str) -> String {
    let lab = Lab::new();
    start_journald(&lab);
    let run = in_journal_namespace(Some(&lab), &SCENARIOS.replace("CAT", client));
    assert_eq!(run.code, 0, "{client}: {run:?}");
    let got = wait_for(&lab, &["-o", "json", "_TRANSPORT=stdout"], RECORDS);
    assert_eq!(got.len(), RECORDS, "{client}: {got:#?}");
    python(NORMALIZE, &(got.join("\n") + "\n"))
}

#[test]
fn ours_and_systemds_give_the_same_records() {
    let ours = records_of(&applet("systemd-cat").display().to_string());
    let real = records_of(REAL);
    assert_eq!(ours, real);
    // What the records say (so that two equally wrong clients cannot pass).
    let check = r#"
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e.get("SYSLOG_IDENTIFIER", "-"), e["PRIORITY"], e["MESSAGE"])
"#;
    let summary = python(check, &ours);
    let mut lines: Vec<&str> = summary.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "- 6 empty-identifier",
            "- 7 no-identifier",
            "- 7 same-stream",
            "cmd-id 3 to-err",
            "cmd-id 6 to-out",
            "np-id 4 <1>kept",
            "stdin-id 3 an error",
            "stdin-id 5 no newline",
            "stdin-id 5 plain",
            "upper 2 prefixed",
        ]
    );
}

#[test]
fn errors_and_exit_codes_are_252s() {
    let ours = applet("systemd-cat").display().to_string();
    let cases: &[&str] = &[
        "-p foo",
        "-p 8 true",
        "--stderr-priority=x",
        "--level-prefix=maybe",
        "--bogus",
        "--bogus=1",
        "-x",
        "-p",
        "--ident",
        "--help=1",
        // Valid: no journald listens in the namespace.
        "-t id true",
        "--level-prefix=YES -p err",
    ];
    for case in cases {
        let script = |client: &str| format!("{client} {case} </dev/null");
        let real = in_journal_namespace(None, &script(REAL));
        let mine = in_journal_namespace(None, &script(&ours));
        assert_eq!(
            (mine.code, mine.stderr.replace(&ours, "systemd-cat")),
            (real.code, real.stderr.replace(REAL, "systemd-cat")),
            "systemd-cat {case}"
        );
        assert_eq!(real.code, 1, "{case}: {real:?}");
    }
    let help = |client: &str| run_cmd(Command::new(client).arg("-h"));
    let (mine, real) = (help(&ours), help(REAL));
    assert_eq!((mine.code, &mine.stdout), (real.code, &real.stdout));
    let version = run_cmd(Command::new(&ours).arg("--version"));
    assert_eq!(
        version.ok().stdout.lines().next(),
        Some(unitbox_core::version::VERSION_LINE)
    );
    // Without journald: 252's message, exit 1.
    let run = in_journal_namespace(None, &format!("{ours} echo hi"));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (1, "Failed to create stream fd: No such file or directory\n")
    );
}
