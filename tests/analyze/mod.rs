//! systemd-analyze (lite) against the machine's own systemd 252 `systemd-analyze`: the same
//! operands, the same time zone; stdout, the first stderr line and the exit code must agree.

mod verify;

use crate::support::*;
use std::path::Path;
use std::process::Command;

const ORACLE_ANALYZE: &str = "/usr/bin/systemd-analyze";

fn analyze(program: &Path, tz: &str, args: &[&str]) -> Run {
    run_cmd(Command::new(program).args(args).env("TZ", tz))
}

/// For operands relative to now, what depends on the moment of the call is left out: the
/// "From now" and "UNIX seconds" rows and the time of day.
fn comparable(run: &Run, keep_relative: bool) -> (i32, String, String) {
    let stdout = run
        .stdout
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            keep_relative || !(l.starts_with("From now:") || l.starts_with("UNIX seconds:"))
        })
        .map(|l| {
            if keep_relative {
                return l.to_string();
            }
            l.split(' ')
                .map(|w| {
                    if w.len() == 8 && w.as_bytes()[2] == b':' {
                        "HH:MM:SS"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let first_error = run.stderr.lines().next().unwrap_or("").to_string();
    (run.code, stdout, first_error)
}

fn differ(verb: &str, tz: &str, operands: &[String], keep_relative: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for operand in operands {
        let args = [verb, "--", operand.as_str()];
        let ours = analyze(&applet("systemd-analyze"), tz, &args);
        let theirs = analyze(Path::new(ORACLE_ANALYZE), tz, &args);
        let (a, b) = (
            comparable(&ours, keep_relative),
            comparable(&theirs, keep_relative),
        );
        if a != b {
            failures.push(format!(
                "{verb} {operand:?} TZ={tz}\n ours: {a:?}\n 252:  {b:?}"
            ));
        }
    }
    failures
}

fn have_oracle() -> bool {
    let here = Path::new(ORACLE_ANALYZE).exists();
    if !here {
        eprintln!("no {ORACLE_ANALYZE}: skipped");
    }
    here
}

fn timespans() -> Vec<String> {
    let mut spans: Vec<String> = [
        "0",
        "1",
        "90",
        "1h 30min",
        "5.5s",
        "1y",
        "1ns",
        "3 nsec",
        "foo",
        "1.5us",
        "infinity",
        "2w3d",
        "1M",
        "5µs",
        "5μs",
        "5 5h",
        "+5s",
        " 5s ",
        ".5s",
        "5.",
        "5.s",
        "1.2.3",
        "12.34 .56",
        "12.34s.56",
        "5secx",
        "0x10",
        "99999999999999999999",
        "600000y",
        "5 m",
        "infinity ",
        " infinity",
        "infinityx",
        "1d1",
        "1e3",
        "5 s 3",
        "3.+1",
        "5min5",
        "1hours",
        "1 Hour",
        "",
        " ",
        "+",
        "+.5s",
        "1.000001s",
        "59.999999s",
        "60s",
        "61.5s",
        "1.5min",
        "0.1us",
        "1,5s",
        "1s,",
        "2 weeks",
        "1 month 2 days",
        "18446744073709551615us",
        "18446744073709551614us",
        "18446744073709551616us",
        "213503982334d",
        "584542y",
        "1years 2months 3weeks 4days 5hours 6minutes 7seconds 8msec 9usec",
        "3 sec 4 sec",
        "1hr",
        "1hrs",
        "7d 1ms",
        "0.5d",
        "0.25w",
        "1.5M",
        "1.123456789s",
        "00001s",
        "1\ts",
        "1\n",
        "now",
        "today",
        "@5",
        "1 h",
        "1 H",
        "1S",
        "2 yea",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every unit name, with whole numbers, fractions and mixed in pairs.
    let units = [
        "", "s", "sec", "second", "seconds", "m", "min", "minute", "minutes", "h", "hr", "hour",
        "hours", "d", "day", "days", "w", "week", "weeks", "M", "month", "months", "y", "year",
        "years", "ms", "msec", "us", "usec", "µs",
    ];
    for (i, unit) in units.iter().enumerate() {
        spans.push(format!("7{unit}"));
        spans.push(format!("2.75 {unit}"));
        spans.push(format!(
            "{}{unit} {}{}",
            i + 1,
            i * 3,
            units[(i * 7) % units.len()]
        ));
    }
    spans
}

#[test]
fn timespan_agrees_with_systemd_analyze() {
    if !have_oracle() {
        return;
    }
    let spans = timespans();
    assert!(spans.len() > 150, "{}", spans.len());
    let failures = differ("timespan", "UTC", &spans, true);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn absolute_timestamps() -> Vec<String> {
    let mut stamps: Vec<String> = [
        "2024-01-01 10:00",
        "@1700000000",
        "@0",
        "@1.5",
        "@5min",
        "@infinity",
        "foo",
        "2024-01-01 10:00 Europe/Berlin",
        "2024-01-01 10:00 utc",
        "2024-01-01 10:00 UTC",
        "2024-01-01T10:00",
        "2024- 1- 1",
        "2024-01-01 10:00:00.9999995",
        "10000-01-01",
        "1969-12-31",
        "mon 2024-01-01",
        "Mon 2024-01-01",
        "Tue 2024-01-01",
        "Monday 2024-01-01",
        "MONDAY 2024-01-01 00:00",
        "Mon  2024-01-01",
        "24-01-01",
        "69-01-01",
        "68-12-31",
        "2024-1-1",
        "2024-01-01 1:2",
        "2024-01-01 1:2:3",
        "2024-01-01 01:02:03.5",
        "2024-01-01 01:02:03.",
        "2024-01-01 01:02:03.x",
        "2024-01-01 01:02.5",
        "2024-02-30",
        "2023-02-29",
        "2024-02-29 23:59:60",
        "2024-12-31 23:59:61",
        "2024-13-01",
        "2024-00-10",
        "2024-01-32",
        "2024-01-00",
        "2024-01-01 24:00",
        "2024-01-01 23:60",
        "9999-12-30",
        "9999-12-31",
        "9999-12-30 23:59:59",
        "9999-12-30 23:59:59.999999",
        "1970-01-01",
        "1970-01-01 00:00:01",
        "2038-01-19 03:14:08",
        "2100-02-28 12:00",
        "@99999999999",
        "@253402214399",
        "@253402214400",
        "@999999999999",
        "@1700000000.123456789",
        "2024-01-01  10:00",
        " 2024-01-01",
        "2024-01-01 ",
        "2024-01-01\t10:00",
        "Jan 05 2024",
        "2024-06-15 12:00 CEST",
        "2024-06-15 12:00 CET",
        "2024-01-15 12:00 CET",
        "2024-01-15 12:00 EST",
        "2024-07-15 12:00 EDT",
        "2024-07-15 12:00 EST",
        "2026-03-29 02:30",
        "2026-10-25 02:30",
        "2026-03-08 02:30",
        "2026-11-01 01:30",
        "@1774746000",
        "2024-01-01 10:00 GMT",
        "Sat 2026-11-21 20:11:30",
        "2001-02-03 04:05:06.000007",
        "01-02-03 04:05:06",
        "2024-01-01 10:00:00 UTC",
        "Thu 1970-01-01 00:00:00 UTC",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for year in [1971, 1999, 2000, 2024, 2037, 2038, 2106, 3000] {
        for (month, day) in [(1, 1), (2, 28), (3, 31), (6, 30), (7, 4), (12, 31)] {
            stamps.push(format!("{year}-{month:02}-{day:02} 13:{:02}:07", day % 60));
        }
    }
    stamps
}

#[test]
fn timestamp_agrees_with_systemd_analyze() {
    if !have_oracle() {
        return;
    }
    let absolute = absolute_timestamps();
    assert!(absolute.len() > 100);
    let mut failures = Vec::new();
    for tz in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"] {
        failures.extend(differ("timestamp", tz, &absolute, true));
    }
    // Relative to now: the normalised form and the exit code, not "From now".
    let relative: Vec<String> = [
        "now",
        "today",
        "yesterday",
        "tomorrow",
        "today UTC",
        "now UTC",
        "+5min",
        "-5min",
        "+1d",
        "-1y",
        "5min ago",
        "2 hours left",
        " ago",
        "ago",
        "+infinity",
        "-infinity",
        "+",
        "-",
        "+5x",
        "10:00",
        "10:00:30",
        "23:59:59.5",
        "25:00",
        "10:61",
        "Jan 05 10:00:00",
        "jan 05 10:00:00.25",
        "January 05 10:00:00",
        "Dec 31 23:59:59",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for tz in ["UTC", "Europe/Berlin"] {
        failures.extend(
            differ("timestamp", tz, &relative, false)
                .into_iter()
                // "now" itself and the spans around it move between the two calls.
                .filter(|f| {
                    !f.contains("\"now\"")
                        && !f.contains("min\"")
                        && !f.contains("left\"")
                        && !f.contains("ago\"")
                }),
        );
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn several_operands_and_bad_command_lines() {
    let ours = |args: &[&str]| analyze(&applet("systemd-analyze"), "UTC", args);
    let out = ours(&["timespan", "1s", "2s"]);
    out.ok();
    assert_eq!(out.stdout.matches("Original:").count(), 2, "{out:?}");
    assert!(
        out.stdout.contains("   Human: 1s\n\nOriginal: 2s\n"),
        "{out:?}"
    );
    let out = ours(&["timespan", "1s", "bad", "2s"]);
    assert_eq!(out.code, 1);
    assert!(
        !out.stdout.contains("2s"),
        "stops at the first bad span: {out:?}"
    );
    let out = ours(&["timestamp", "bad", "@1"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("@1"),
        "goes on after a bad timestamp: {out:?}"
    );
    for (args, error) in [
        (&["timespan"][..], "Too few arguments."),
        (&["frobnicate"][..], "Unknown command verb frobnicate."),
        (
            &["--bogus", "timespan", "1s"][..],
            "unrecognized option '--bogus'",
        ),
    ] {
        let out = ours(args);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {out:?}");
        assert!(out.stderr.contains(error), "{args:?}: {out:?}");
    }
}

fn calendar_expressions() -> Vec<String> {
    let mut specs: Vec<String> = [
        "daily",
        "hourly",
        "minutely",
        "weekly",
        "monthly",
        "yearly",
        "annually",
        "anually",
        "quarterly",
        "semiannually",
        "semi-annually",
        "biannually",
        "bi-annually",
        "DAILY",
        "Daily UTC",
        "*:*:0/2",
        "*-*-* *:*:00",
        "*:0/15",
        "Mon..Fri 08:00",
        "Sat,Sun 10:00",
        "Mon-Wed *-*-* 12:00",
        "Mon,Tue,Wed,Thu,Fri",
        "Mon..Sun",
        "Sun..Mon",
        "Fri..Mon",
        "Wed..Wed",
        "mon",
        "Monday",
        "Mon,",
        "Mon..",
        "Mon,,Tue",
        "Mon.Tue",
        "Mon..Wed,Fri..Sun",
        "*-*-01 00:00:00",
        "*-*~01",
        "*-*~03",
        "*-02~03",
        "*-*~07/1",
        "*-*~28",
        "*-*~29",
        "*-05~1..3",
        "2024-02-29",
        "2023-02-29",
        "*-02-29",
        "*-02-30",
        "*-02-31 12:00",
        "2024-*-* 00:00",
        "2199-12-31",
        "2200-01-01",
        "1969-01-01",
        "1970-01-01",
        "70-01-01",
        "69-01-01",
        "00-01-01",
        "99-12-31 23:59:59",
        "2024-1-1",
        "2024-01-01 1:2:3",
        "12:00",
        "12:00:00",
        "12",
        "12:00:00:00",
        "24:00",
        "23:60",
        "23:59:60",
        "23:59:59.5",
        "*:*:*.25",
        "*:*:0.5/0.25",
        "*:*:1.1234567",
        "*:*:59.9999999",
        "*:*:0..10",
        "*:*:0..0.5",
        "*:*:3..1",
        "*:0..59/10",
        "0..23/6:00",
        "8..17:00",
        "*:*:00/61",
        "*:*:00/0",
        "*-*-*/0",
        "*/2-*-*",
        "*-*-1/3",
        "*-1/2-1",
        "2024..2030/2-01-01",
        "2024,2026,2025-06-15",
        "2024-06-15,16,17",
        "1,3,5,1-1",
        "*-*-* 1,2,3,2,1:00",
        "@0",
        "@1700000000",
        "@1700000000.5",
        "@-1",
        "@",
        "@99999999999",
        "@1 UTC",
        "@60 Mon",
        "Mon *-*-* 00:00:00 UTC",
        "2024-06-15 12:00 Europe/Berlin",
        "12:00 America/New_York",
        "*:00 Asia/Kolkata",
        "daily Europe/Berlin",
        "12:00 Nowhere/Atlantis",
        "12:00 utc",
        "12:00 UTC",
        "12:00 Etc/UTC",
        "12:00 GMT",
        "12:00 CET",
        "12:00 EST",
        "",
        " ",
        "*",
        "*-*",
        "*-*-*",
        "* *",
        "*:*",
        "*:*:*",
        "x",
        "Mon x",
        "12:00 x",
        "2024-01-01x",
        "-01-01",
        "2024--01",
        "2024-01-01  12:00",
        " daily",
        "daily ",
        "Mon  12:00",
        "*-*-* *:*:*.000001",
        "*:*:0.000001/0.000001",
        "2024-01-01 00:00:00.123456",
        "Tue 2024-01-02",
        "Wed 2024-01-02",
        "Fri 2024-02-29",
        "Sat *-*-1..7 18:00",
        "Thu *-*~1..7",
        "*-*-13 Fri",
        "Fri *-*-13",
        "2025-01-01 00:00:00/5",
        "*:*/3:*",
        "0/2:0/3:0/4",
        "*-*-* 00/6:00",
        "4294967296:00",
        "2147483648-01-01",
        "01..12-01",
        "03..01-01",
        "*-12..03-01",
        "1..31/10-*-*",
        "*-*-1,15,~1",
        "*-*~1,15",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for hour in [0, 3, 11, 23] {
        for minute in ["00", "0/7", "15,45", "59"] {
            specs.push(format!("*-*-* {hour:02}:{minute}:00"));
        }
    }
    specs
}

fn differ_calendar(tz: &str, base: &str, specs: &[String]) -> Vec<String> {
    let mut failures = Vec::new();
    for spec in specs {
        let args = [
            "calendar",
            "--iterations=5",
            "--base-time",
            base,
            "--",
            spec.as_str(),
        ];
        let ours = analyze(&applet("systemd-analyze"), tz, &args);
        let theirs = analyze(Path::new(ORACLE_ANALYZE), tz, &args);
        // "From now" is relative to the real clock, not to --base-time.
        let (a, b) = (comparable_calendar(&ours), comparable_calendar(&theirs));
        if a != b {
            failures.push(format!(
                "calendar {spec:?} TZ={tz} base {base}\n ours: {a:?}\n 252:  {b:?}"
            ));
        }
    }
    failures
}

fn comparable_calendar(run: &Run) -> (i32, String, String) {
    let stdout = run
        .stdout
        .lines()
        .filter(|l| !l.trim_start().starts_with("From now:"))
        .collect::<Vec<_>>()
        .join("\n");
    (
        run.code,
        stdout,
        run.stderr.lines().next().unwrap_or("").to_string(),
    )
}

#[test]
fn calendar_agrees_with_systemd_analyze() {
    if !have_oracle() {
        return;
    }
    let specs = calendar_expressions();
    assert!(specs.len() > 150, "{}", specs.len());
    let mut failures = Vec::new();
    // A leap year's end of February, and nights the clocks change in Europe and America.
    for (tz, base) in [
        ("UTC", "2024-02-27 13:14:15.5 UTC"),
        ("Europe/Berlin", "2026-03-28 23:00 UTC"),
        ("America/New_York", "2026-10-31 12:00 UTC"),
    ] {
        failures.extend(differ_calendar(tz, base, &specs));
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `systemd-analyze condition`: every line on stderr and the exit code as 252's, for
/// conditions whose answer is the same for both processes on this machine.
#[test]
fn condition_agrees_with_252() {
    let cases: &[&[&str]] = &[
        &["ConditionPathExists=/etc"],
        &["ConditionPathExists=/etc", "ConditionPathExists=!/nope"],
        &["ConditionPathExists=/nope", "ConditionPathExists=/etc"],
        &["ConditionPathExists=/nope", "AssertPathExists=/etc"],
        &["AssertPathIsDirectory=/etc/passwd"],
        &["ConditionPathExists=|/nope", "ConditionPathExists=|/etc"],
        &["ConditionPathExists=|/nope"],
        &["ConditionPathExists=relative"],
        &["ConditionPathExists=/etc", "ConditionPathExists="],
        &["ConditionFooBar=x"],
        &["Foo=bar"],
        &[" ConditionPathExists = /etc"],
        &["ConditionKernelVersion=>99"],
        &["ConditionKernelCommandLine=!no_such_word_here"],
        &[
            "ConditionDirectoryNotEmpty=/etc",
            "ConditionFileNotEmpty=/etc/passwd",
        ],
        &["ConditionUser=root", "ConditionGroup=0"],
        &["ConditionHost=%H"],
        &[
            "ConditionArchitecture=x86-64",
            "ConditionArchitecture=|arm64",
        ],
        &["ConditionPathIsSymbolicLink=!/etc"],
        &["ConditionEnvironment=!NO_SUCH_VARIABLE_HERE"],
        &[],
    ];
    let mut failures = Vec::new();
    for case in cases {
        let mut args = vec!["condition"];
        args.extend_from_slice(case);
        let ours = analyze(&applet("systemd-analyze"), "UTC", &args);
        let theirs = analyze(Path::new(ORACLE_ANALYZE), "UTC", &args);
        if (ours.code, &ours.stdout, &ours.stderr) != (theirs.code, &theirs.stdout, &theirs.stderr)
        {
            failures.push(format!(
                "condition {case:?}\n ours: {} {:?} {:?}\n 252:  {} {:?} {:?}",
                ours.code, ours.stdout, ours.stderr, theirs.code, theirs.stdout, theirs.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
