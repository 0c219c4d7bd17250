//! The read-only views: `show`, `list-units`, `list-dependencies`, `show-environment`,
//! `--version`. systemd 252 refuses these verbs with `--root`, so the expected outputs are
//! systemd's formats written down (see systemctl-show.c, bus-print-properties.c).

use crate::support::*;
use std::process::Command;

const RICH_SERVICE: &str = "\
[Unit]
Description=Rich service for %n
Documentation=man:rich(8) https://example.com/rich
Wants=helper.service
After=network.target

[Service]
Type=notify
ExecStartPre=-/bin/true
ExecStart=@/usr/bin/sleep mysleep 60
ExecStartPost=+/bin/echo started
ExecStop=!/bin/kill -TERM $MAINPID
ExecStopPost=!!/bin/true
Environment=\"GREETING=hello world\" PLAIN=1
Environment=PLAIN=2
EnvironmentFile=-/etc/default/rich
EnvironmentFile=/etc/rich.env
User=nobody
Group=nogroup
SupplementaryGroups=adm wheel
WorkingDirectory=-/srv/rich
UMask=0027
Restart=on-failure
RestartSec=5
TimeoutStopSec=20s
KillSignal=SIGINT
SendSIGHUP=yes
LimitNOFILE=4096:8192

[Install]
WantedBy=multi-user.target
";

/// A tree with the rich service, a drop-in, an enabled link and a masked unit.
fn rich_tree() -> Tree {
    let t = Tree::new();
    t.write("/usr/lib/systemd/system/rich.service", RICH_SERVICE);
    t.write(
        "/usr/lib/systemd/system/multi-user.target",
        "[Unit]\nDescription=Multi-User System\nAllowIsolate=yes\n",
    );
    t.write(
        "/etc/systemd/system/rich.service.d/10-restart.conf",
        "[Service]\nRestartSec=7\n",
    );
    t.write(
        "/run/systemd/system/rich.service.d/20-more.conf",
        "[Unit]\nBefore=late.target\n",
    );
    t.symlink(
        "/usr/lib/systemd/system/rich.service",
        "/etc/systemd/system/multi-user.target.wants/rich.service",
    );
    t.symlink("/dev/null", "/etc/systemd/system/masked.service");
    t
}

/// Asserts that `expected` lines occur in `text`, in this order (other lines may sit
/// between them).
fn assert_in_order(text: &str, expected: &[&str]) {
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    for want in expected {
        match lines[at..].iter().position(|l| l == want) {
            Some(i) => at += i + 1,
            None => panic!("missing (or out of order) line {want:?} in:\n{text}"),
        }
    }
}

#[test]
fn show_prints_a_rich_service_in_systemd_property_order() {
    let t = rich_tree();
    let out = t.systemctl(&["show", "rich"]);
    out.ok();
    assert_in_order(
        &out.stdout,
        &[
            "Type=notify",
            "ExitType=main",
            "Restart=on-failure",
            "NotifyAccess=main",
            "RestartUSec=7s",
            "TimeoutStartUSec=1min 30s",
            "TimeoutStopUSec=20s",
            "TimeoutAbortUSec=20s",
            "RuntimeMaxUSec=infinity",
            "WatchdogUSec=0",
            "RemainAfterExit=no",
            "MainPID=0",
            "Result=success",
            "UID=[not set]",
            "NRestarts=0",
            "ExecMainPID=0",
            "ExecMainCode=0",
            "ExecMainStatus=0",
            "Slice=system.slice",
            "Environment=\"GREETING=hello world\" PLAIN=2",
            "EnvironmentFiles=/etc/default/rich (ignore_errors=yes)",
            "EnvironmentFiles=/etc/rich.env (ignore_errors=no)",
            "UMask=0027",
            "LimitNOFILE=8192",
            "LimitNOFILESoft=4096",
            "WorkingDirectory=!/srv/rich",
            "StandardInput=null",
            "StandardOutput=journal",
            "StandardError=inherit",
            "User=nobody",
            "Group=nogroup",
            "SupplementaryGroups=adm wheel",
            "KillMode=control-group",
            "KillSignal=2",
            "RestartKillSignal=2",
            "FinalKillSignal=9",
            "SendSIGKILL=yes",
            "SendSIGHUP=yes",
            "Id=rich.service",
            "Names=rich.service",
            "Wants=helper.service",
            "WantedBy=multi-user.target",
            "Before=late.target",
            "After=network.target",
            "Documentation=\"man:rich(8)\" https://example.com/rich",
            "Description=Rich service for rich.service",
            "LoadState=loaded",
            "ActiveState=inactive",
            "SubState=dead",
            "FragmentPath=/usr/lib/systemd/system/rich.service",
            "DropInPaths=/etc/systemd/system/rich.service.d/10-restart.conf /run/systemd/system/rich.service.d/20-more.conf",
            "CanStart=yes",
            "CanStop=yes",
            "CanReload=no",
            "DefaultDependencies=yes",
            "ConditionResult=no",
            "Transient=no",
            "StartLimitIntervalUSec=10s",
            "StartLimitBurst=5",
            "CollectMode=inactive",
        ],
    );
    // Empty values stay hidden without --all: unset timestamps, no invocation yet.
    for hidden in [
        "ActiveEnterTimestamp=",
        "InvocationID=",
        "LoadError=",
        "PIDFile=",
    ] {
        assert!(
            !out.stdout.lines().any(|l| l == hidden),
            "{hidden} shown without --all"
        );
    }
    assert!(out.stdout.contains("\nActiveEnterTimestampMonotonic=0\n"));
}

#[test]
fn show_formats_exec_lines_with_every_prefix() {
    let t = rich_tree();
    let out = t.systemctl(&[
        "show",
        "rich.service",
        "-p",
        "ExecStartPre,ExecStart,ExecStartEx,ExecStartPost,ExecStartPostEx",
        "-p",
        "ExecStopEx,ExecStopPostEx",
    ]);
    out.ok();
    let tail = "start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }";
    let expected = [
        format!("ExecStartPre={{ path=/bin/true ; argv[]=/bin/true ; ignore_errors=yes ; {tail}"),
        format!("ExecStart={{ path=/usr/bin/sleep ; argv[]=mysleep 60 ; ignore_errors=no ; {tail}"),
        format!("ExecStartEx={{ path=/usr/bin/sleep ; argv[]=mysleep 60 ; flags= ; {tail}"),
        format!("ExecStartPost={{ path=/bin/echo ; argv[]=/bin/echo started ; ignore_errors=no ; {tail}"),
        format!("ExecStartPostEx={{ path=/bin/echo ; argv[]=/bin/echo started ; flags=privileged ; {tail}"),
        format!("ExecStopEx={{ path=/bin/kill ; argv[]=/bin/kill -TERM $MAINPID ; flags=no-setuid ; {tail}"),
        format!("ExecStopPostEx={{ path=/bin/true ; argv[]=/bin/true ; flags=ambient ; {tail}"),
    ];
    let got: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(got, expected.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn property_filters_keep_table_order_and_show_empty_values() {
    let t = rich_tree();
    let out = t.systemctl(&[
        "show",
        "rich",
        "--property=Description",
        "-p",
        "Id,PIDFile",
        "-p",
        "Type",
    ]);
    out.ok();
    assert_eq!(
        out.stdout,
        "Type=notify\nPIDFile=\nId=rich.service\nDescription=Rich service for rich.service\n"
    );
    let values = t.systemctl(&["show", "rich", "-p", "Id,LoadState", "--value"]);
    assert_eq!(values.stdout, "rich.service\nloaded\n");
    let p = t.systemctl(&["show", "rich", "-P", "ActiveState"]);
    assert_eq!(p.stdout, "inactive\n");
    let matching = t.systemctl(&["show", "rich", "-p", "LoadState=loaded,Id=other"]);
    assert_eq!(matching.stdout, "LoadState=loaded\n");
}

#[test]
fn show_all_prints_empty_values_and_several_units_are_separated() {
    let t = rich_tree();
    let all = t.systemctl(&["show", "--all", "rich"]);
    all.ok();
    for line in [
        "PIDFile=",
        "ActiveEnterTimestamp=",
        "InvocationID=",
        "LoadError=",
    ] {
        assert!(all.stdout.lines().any(|l| l == line), "{line} missing");
    }
    let two = t.systemctl(&["show", "-p", "Id", "rich", "multi-user.target"]);
    assert_eq!(two.stdout, "Id=rich.service\n\nId=multi-user.target\n");
    let glob = t.systemctl(&["show", "-p", "Id", "--value", "r*"]);
    assert_eq!(glob.stdout, "rich.service\n");
}

#[test]
fn show_of_a_missing_unit_reports_not_found_and_succeeds() {
    let t = rich_tree();
    let out = t.systemctl(&[
        "show",
        "ghost",
        "-p",
        "Id,Names,LoadState,LoadError,ActiveState,SubState,FragmentPath,CanStart,Description",
    ]);
    out.ok();
    assert_eq!(
        out.stdout,
        "Id=ghost.service\nNames=ghost.service\nDescription=ghost.service\n\
         LoadState=not-found\nActiveState=inactive\nSubState=dead\nFragmentPath=\n\
         CanStart=no\n\
         LoadError=org.freedesktop.systemd1.NoSuchUnit \"Unit ghost.service not found.\"\n"
    );
}

#[test]
fn show_of_a_masked_unit() {
    let t = rich_tree();
    let out = t.systemctl(&[
        "show",
        "masked",
        "-p",
        "LoadState,LoadError,FragmentPath,CanStart",
    ]);
    out.ok();
    assert_eq!(
        out.stdout,
        "LoadState=masked\nFragmentPath=/dev/null\nCanStart=no\n\
         LoadError=org.freedesktop.systemd1.UnitMasked \"Unit masked.service is masked.\"\n"
    );
}

#[test]
fn reverse_dependencies_come_from_other_units() {
    let t = rich_tree();
    t.write(
        "/usr/lib/systemd/system/early.service",
        "[Unit]\nBefore=rich.service\nRequires=rich.service\n[Service]\nExecStart=/bin/true\n",
    );
    let out = t.systemctl(&["show", "rich", "-p", "RequiredBy,WantedBy,After"]);
    out.ok();
    assert_eq!(
        out.stdout,
        "RequiredBy=early.service\nWantedBy=multi-user.target\nAfter=network.target early.service\n"
    );
    let target = t.systemctl(&["show", "multi-user.target", "-p", "Wants,CanIsolate"]);
    assert_eq!(target.stdout, "Wants=rich.service\nCanIsolate=yes\n");
}

#[test]
fn show_without_units_prints_manager_properties() {
    let t = rich_tree();
    let out = t.systemctl(&[
        "show",
        "-p",
        "Version,DefaultStandardOutput,SystemState,DefaultTimeoutStartUSec",
    ]);
    out.ok();
    assert_eq!(
        out.stdout,
        "Version=252\nDefaultStandardOutput=journal\nSystemState=offline\nDefaultTimeoutStartUSec=1min 30s\n"
    );
}

#[test]
fn show_rejects_templates_and_bad_names() {
    let t = rich_tree();
    let out = t.systemctl(&["show", "getty@.service"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Failed to get properties: Unit name getty@.service is not valid.\n"
    );
    let out = t.systemctl(&["show", "--bogus"]);
    assert_eq!((out.code, out.stderr.lines().count()), (1, 1), "{out:?}");
}

#[test]
fn oneshot_and_instances_get_their_defaults() {
    let t = Tree::new();
    t.write(
        "/etc/systemd/system/job.service",
        "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    );
    t.write(
        "/etc/systemd/system/getty@.service",
        "[Unit]\nDescription=Getty on %I\n[Service]\nExecStart=/sbin/agetty %i\n",
    );
    let job = t.systemctl(&["show", "job", "-p", "TimeoutStartUSec,TimeoutStopUSec"]);
    assert_eq!(
        job.stdout,
        "TimeoutStartUSec=infinity\nTimeoutStopUSec=1min 30s\n"
    );
    let getty = t.systemctl(&[
        "show",
        "getty@tty1",
        "-p",
        "Id,Description,Slice",
        "--value",
    ]);
    assert_eq!(
        getty.stdout,
        "system-getty.slice\ngetty@tty1.service\nGetty on tty1\n"
    );
}

#[test]
fn list_units_hides_inactive_units_by_default() {
    let t = rich_tree();
    let out = t.systemctl(&["list-units"]);
    out.ok();
    assert_eq!(
        out.stdout,
        "  UNIT LOAD ACTIVE SUB DESCRIPTION\n\
         0 loaded units listed. Pass --all to see loaded but inactive units, too.\n\
         To show all installed unit files use 'systemctl list-unit-files'.\n"
    );
    let failed = t.systemctl(&["list-units", "--failed"]);
    assert_eq!(
        failed.stdout,
        "  UNIT LOAD ACTIVE SUB DESCRIPTION\n0 loaded units listed.\n"
    );
}

#[test]
fn list_units_all_shows_the_table_with_legend() {
    let t = rich_tree();
    let out = t.systemctl(&["list-units", "--all"]);
    out.ok();
    assert_eq!(
        out.stdout,
        "  UNIT              LOAD      ACTIVE   SUB  DESCRIPTION\n\
         ● helper.service    not-found inactive dead helper.service\n\
         ● masked.service    masked    inactive dead masked.service\n\
         \x20 rich.service      loaded    inactive dead Rich service for rich.service\n\
         ● late.target       not-found inactive dead late.target\n\
         \x20 multi-user.target loaded    inactive dead Multi-User System\n\
         ● network.target    not-found inactive dead network.target\n\
         \n\
         LOAD   = Reflects whether the unit definition was properly loaded.\n\
         ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n\
         SUB    = The low-level unit activation state, values depend on unit type.\n\
         6 loaded units listed.\n\
         To show all installed unit files use 'systemctl list-unit-files'.\n"
    );
    let bare = t.systemctl(&[
        "list-units",
        "--all",
        "--no-legend",
        "--plain",
        "--type=target",
    ]);
    assert_eq!(
        bare.stdout,
        "late.target       not-found inactive dead late.target\n\
         multi-user.target loaded    inactive dead Multi-User System\n\
         network.target    not-found inactive dead network.target\n"
    );
    let by_state = t.systemctl(&["list-units", "--state=masked", "--no-legend", "--plain"]);
    assert_eq!(
        by_state.stdout,
        "masked.service masked inactive dead masked.service\n"
    );
    let pattern = t.systemctl(&["list-units", "--all", "--no-legend", "r*.service"]);
    assert_eq!(
        pattern.stdout,
        "  rich.service loaded inactive dead Rich service for rich.service\n"
    );
}

#[test]
fn list_units_json_is_valid_and_complete() {
    let t = rich_tree();
    t.write(
        "/etc/systemd/system/quote.service",
        "[Unit]\nDescription=Say \"hi\" \\ bye\n[Service]\nExecStart=/bin/true\n",
    );
    let out = t.systemctl(&["list-units", "--all", "--output=json", "quote*"]);
    out.ok();
    assert_eq!(
        out.stdout,
        "[{\"unit\":\"quote.service\",\"load\":\"loaded\",\"active\":\"inactive\",\"sub\":\"dead\",\"description\":\"Say \\\"hi\\\" \\\\ bye\"}]\n"
    );
    let all = t.systemctl(&["list-units", "--all", "-o", "json-pretty"]);
    let parsed = python(
        "import json,sys; d=json.load(sys.stdin); print(len(d), sorted(d[0]))",
        &all.stdout,
    );
    assert_eq!(
        parsed,
        "7 ['active', 'description', 'load', 'sub', 'unit']\n"
    );
    let empty = t.systemctl(&["list-units", "-o", "json"]);
    assert_eq!(empty.stdout, "[]\n");
    let bad = t.systemctl(&["list-units", "-o", "yaml"]);
    assert_eq!(
        (bad.code, bad.stderr.as_str()),
        (1, "Unknown output 'yaml'.\n")
    );
}

/// A small graph: default.target → multi-user.target → {rich, basic.target → sock,
/// loop.target → multi-user.target (a cycle)}.
fn graph_tree() -> Tree {
    let t = rich_tree();
    t.symlink(
        "/usr/lib/systemd/system/multi-user.target",
        "/etc/systemd/system/default.target",
    );
    t.write(
        "/usr/lib/systemd/system/basic.target",
        "[Unit]\nDescription=Basic\nWants=sock.socket\n",
    );
    t.write(
        "/usr/lib/systemd/system/loop.target",
        "[Unit]\nRequires=multi-user.target\n",
    );
    t.write(
        "/usr/lib/systemd/system/sock.socket",
        "[Socket]\nListenStream=/run/sock\n",
    );
    t.write(
        "/usr/lib/systemd/system/multi-user.target.d/deps.conf",
        "[Unit]\nRequires=basic.target\nWants=loop.target\n",
    );
    t
}

#[test]
fn list_dependencies_draws_the_tree() {
    let t = graph_tree();
    let out = t.systemctl(&["list-dependencies"]);
    out.ok();
    assert_eq!(
        out.stdout,
        "default.target\n\
         ○ ├─rich.service\n\
         ○ ├─basic.target\n\
         ○ │ └─sock.socket\n\
         ○ └─loop.target\n\
         ○   └─multi-user.target\n\
         ○     ├─rich.service\n\
         ○     ├─basic.target\n\
         ○     │ └─sock.socket\n\
         \x20       └─...\n"
    );
    let plain = t.systemctl(&["list-dependencies", "--plain", "multi-user.target"]);
    assert_eq!(
        plain.stdout,
        "multi-user.target\n  rich.service\n  basic.target\n  sock.socket\n  loop.target\n"
    );
    let all = t.systemctl(&["list-dependencies", "--all", "rich"]);
    assert_eq!(all.stdout, "rich.service\n○ └─helper.service\n");
}

#[test]
fn list_dependencies_reverse_and_ordering() {
    let t = graph_tree();
    let reverse = t.systemctl(&["list-dependencies", "--reverse", "sock.socket"]);
    assert_eq!(
        reverse.stdout,
        "sock.socket\n○ └─basic.target\n○   └─multi-user.target\n○     └─loop.target\n          └─...\n"
    );
    let after = t.systemctl(&["list-dependencies", "--after", "rich"]);
    assert_eq!(after.stdout, "rich.service\n○ └─network.target\n");
    let before = t.systemctl(&["list-dependencies", "--before", "rich"]);
    assert_eq!(before.stdout, "rich.service\n○ └─late.target\n");
    let too_many = t.systemctl(&["list-dependencies", "a", "b"]);
    assert_eq!(
        (too_many.code, too_many.stderr.as_str()),
        (1, "Too many arguments.\n")
    );
}

#[test]
fn show_environment_is_sorted_and_quoted() {
    let t = Tree::new();
    t.write(
        "/etc/locale.conf",
        "LANG=de_DE.UTF-8\nLC_TIME=\"en_GB.UTF-8\"\n",
    );
    t.write(
        "/etc/systemd/system.conf",
        "[Manager]\nDefaultEnvironment=\"GREETING=hello world\" ZED=1\n",
    );
    let out = t.systemctl(&["show-environment"]);
    out.ok();
    assert_eq!(
        out.stdout,
        "GREETING=$'hello world'\nLANG=de_DE.UTF-8\nLC_TIME=en_GB.UTF-8\n\
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nZED=1\n"
    );
    let bare = Tree::new().systemctl(&["show-environment"]);
    assert_eq!(
        bare.stdout,
        "LANG=C.UTF-8\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
    );
}

#[test]
fn version_parses_like_systemd() {
    let out = run_cmd(Command::new(applet("systemctl")).arg("--version"));
    out.ok();
    let first = out.stdout.lines().next().unwrap_or("");
    assert!(first.starts_with("systemd 252 (unitbox "), "{first}");
    assert_eq!(first.split_whitespace().nth(1), Some("252"));
    assert!(out
        .stdout
        .lines()
        .nth(1)
        .is_some_and(|l| l.contains("default-hierarchy=")));
}
