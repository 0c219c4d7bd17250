//! `systemd-analyze verify` against 252's: the same unit files, the same search path
//! (`SYSTEMD_UNIT_PATH` set to the case's directory, or `--root`), the same working
//! directory; stdout, stderr (every line, in order) and the exit code must agree.

use super::{have_oracle, ORACLE_ANALYZE};
use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// The targets every service, socket, timer and path unit depends on by default.
const BASE: &[(&str, &str)] = &[
    (
        "sysinit.target",
        "[Unit]\nDescription=System Initialization\n",
    ),
    ("basic.target", "[Unit]\nDescription=Basic System\n"),
    (
        "shutdown.target",
        "[Unit]\nDescription=Shutdown\nDefaultDependencies=no\n",
    ),
    ("sockets.target", "[Unit]\nDescription=Sockets\n"),
    ("timers.target", "[Unit]\nDescription=Timers\n"),
    ("paths.target", "[Unit]\nDescription=Paths\n"),
];

/// A case: files written under `units/` of a fresh tree (`@mask NAME` makes a /dev/null
/// symlink), then `verify ARGS…` run in that directory with `SYSTEMD_UNIT_PATH` at it.
struct Case<'a> {
    files: &'a [(&'a str, &'a str)],
    args: &'a [&'a str],
}

fn tree_with(files: &[(&str, &str)], base: bool) -> Tree {
    let tree = Tree::new();
    let all = base.then_some(BASE).into_iter().flatten();
    for (name, text) in all.chain(files.iter()) {
        match name.strip_prefix("@mask ") {
            Some(masked) => {
                tree.symlink("/dev/null", &format!("units/{masked}"));
            }
            None => {
                tree.write(&format!("units/{name}"), text);
            }
        }
    }
    tree
}

fn verify(program: &Path, dir: &Path, unit_path: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = Command::new(program);
    cmd.arg("verify").args(args).current_dir(dir);
    match unit_path {
        Some(p) => cmd.env("SYSTEMD_UNIT_PATH", p),
        None => cmd.env_remove("SYSTEMD_UNIT_PATH"),
    };
    run_cmd(&mut cmd)
}

/// Runs both and returns a failure text when they differ.
fn compare(dir: &Path, unit_path: Option<&str>, args: &[&str]) -> Option<String> {
    let ours = verify(&applet("systemd-analyze"), dir, unit_path, args);
    let theirs = verify(Path::new(ORACLE_ANALYZE), dir, unit_path, args);
    let key = |r: &Run| (r.code, r.stdout.clone(), r.stderr.clone());
    (key(&ours) != key(&theirs)).then(|| {
        format!(
            "verify {args:?} in {}\n ours: {} {:?}\n{}\n 252:  {} {:?}\n{}",
            dir.display(),
            ours.code,
            ours.stdout,
            ours.stderr,
            theirs.code,
            theirs.stdout,
            theirs.stderr
        )
    })
}

fn differ(cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let tree = tree_with(case.files, true);
        let units = tree.host("units");
        let path = units.to_string_lossy().into_owned();
        failures.extend(compare(&units, Some(&path), case.args));
    }
    failures
}

fn assert_agree(cases: &[Case]) {
    if !have_oracle() {
        return;
    }
    let failures = differ(cases);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

const A_SERVICE: &str = "[Unit]\nDescription=A\nFoo=bar\n[Service]\nExecStart=/bin/true\nBar=1\n\
    Type=bogus\nTimeoutSec=abc\nRemainAfterExit=maybe\nRestartSec=soon\nKillSignal=SIGNOPE\n\
    UMask=999\nNice=-40\nPrivateTmp=perhaps\n[Weird]\nX=1\n[X-Mine]\nY=2\n";

#[test]
fn parser_warnings_are_252s() {
    assert_agree(&[
        Case {
            files: &[("a.service", A_SERVICE)],
            args: &["a.service"],
        },
        // The exit code follows --recursive-errors= (not given: warnings never fail).
        Case {
            files: &[("a.service", A_SERVICE)],
            args: &["--recursive-errors=yes", "a.service"],
        },
        Case {
            files: &[("a.service", A_SERVICE)],
            args: &["--recursive-errors=no", "./a.service"],
        },
        Case {
            files: &[(
                "u.service",
                "Outside=1\n[Unit]\nnoequals\n=v\nStopWhenUnneeded=2\nOnFailureJobMode=sometimes\n\
                 JobTimeoutSec=x\nStartLimitBurst=-1\nFailureAction=explode\n\
                 SuccessActionExitStatus=300\nCollectMode=never\nSourcePath=rel\n\
                 RequiresMountsFor=/a rel\nDocumentation=man:x(1) nourl\nRequires=foo\n\
                 Wants=%z.service\nAfter=%i.service\nConditionPathExists=!relative\n\
                 AssertFileNotEmpty=|also\nRequiresOverridable=b.service\n\
                 [Service]\nExecStart=/bin/true\nReadWritePaths=-/ok -rel\n\
                 NotifyAccess=some\nKillMode=all\nSyslogLevel=loud\n",
            )],
            args: &["--man=no", "u.service"],
        },
        // A broken section header ends the file: the unit fails to load.
        Case {
            files: &[("broken.service", "[Unit]\nA=1\n[Broken\nB=2\n")],
            args: &["broken.service"],
        },
    ]);
}

#[test]
fn bad_settings_and_missing_binaries() {
    let every_exec = "[Service]\nType=oneshot\nExecCondition=+/nope/c\nExecStartPre=/nope/pre\n\
        ExecStart=-/nope/ignored\nExecStart=/bin/true\nExecStartPost=!/nope/post\n\
        ExecReload=@/nope/r r\nExecStop=/nope/stop\nExecStopPost=:/nope/sp\n";
    assert_agree(&[
        Case {
            files: &[("b.service", "[Service]\nExecStart=/nonexistent/x\n")],
            args: &["b.service"],
        },
        Case {
            files: &[("c.service", "[Service]\nExecStart=relative-name-nowhere\n")],
            args: &["c.service"],
        },
        Case {
            files: &[("c.service", "[Service]\nExecStart=true\n")],
            args: &["c.service"],
        },
        Case {
            files: &[("g.service", "[Service]\nExecStart=/etc/passwd\n")],
            args: &["g.service"],
        },
        Case {
            files: &[("g.service", "[Service]\nExecStart=/etc\n")],
            args: &["g.service"],
        },
        Case {
            files: &[("i.service", every_exec)],
            args: &["i.service"],
        },
        Case {
            files: &[("d.service", "[Service]\nType=simple\n")],
            args: &["d.service"],
        },
        Case {
            files: &[("e.service", "[Unit]\nDescription=no service section\n")],
            args: &["e.service"],
        },
        Case {
            files: &[(
                "e.service",
                "[Service]\nExecStart=/bin/true\nExecStart=/bin/true\n",
            )],
            args: &["e.service"],
        },
        Case {
            files: &[("@mask m.service", "")],
            args: &["m.service"],
        },
        Case {
            files: &[("empty.service", "")],
            args: &["empty.service"],
        },
        Case {
            files: &[],
            args: &["nosuch.service", "notaunit", "/"],
        },
    ]);
}

#[test]
fn timers_sockets_and_paths() {
    let ok = "[Service]\nExecStart=/bin/true\n";
    assert_agree(&[
        // A timer whose service does not exist verifies clean, as with 252.
        Case {
            files: &[("f.timer", "[Timer]\nOnCalendar=daily\n")],
            args: &["f.timer"],
        },
        Case {
            files: &[(
                "t.timer",
                "[Timer]\nOnCalendar=bogus\nOnBootSec=xx\nPersistent=maybe\nUnit=nosuch.service\n",
            )],
            args: &["t.timer"],
        },
        Case {
            files: &[
                ("t.timer", "[Timer]\nOnActiveSec=5\nUnit=bad.service\n"),
                ("bad.service", "[Service]\nType=simple\n"),
            ],
            args: &["t.timer"],
        },
        Case {
            files: &[("s1.socket", "[Socket]\nListenStream=/run/s1.sock\n")],
            args: &["s1.socket"],
        },
        Case {
            files: &[
                (
                    "s2.socket",
                    "[Socket]\nListenStream=/run/s2.sock\nExecStartPre=/nope/x\nBacklog=many\n",
                ),
                ("s2.service", ok),
            ],
            args: &["s2.socket"],
        },
        Case {
            files: &[(
                "s3.socket",
                "[Socket]\nListenStream=/run/s3.sock\nAccept=yes\n",
            )],
            args: &["s3.socket"],
        },
        Case {
            files: &[
                (
                    "s4.socket",
                    "[Socket]\nListenStream=/run/s4.sock\nAccept=yes\n",
                ),
                ("s4@.service", "[Service]\nExecStart=/nope/not-checked\n"),
            ],
            args: &["s4.socket"],
        },
        Case {
            files: &[
                (
                    "s5.socket",
                    "[Socket]\nListenStream=/run/s5.sock\nService=bad.service\n",
                ),
                ("bad.service", "[Service]\nType=simple\n"),
            ],
            args: &["s5.socket"],
        },
        Case {
            files: &[(
                "s6.socket",
                "[Socket]\nListenNetlink=route 1361\n[Install]\nWantedBy=sockets.target\n",
            )],
            args: &["s6.socket"],
        },
        Case {
            files: &[("s7.socket", "[Socket]\n")],
            args: &["s7.socket"],
        },
        Case {
            files: &[("p1.path", "[Path]\nPathExists=relative\n")],
            args: &["p1.path"],
        },
        Case {
            files: &[
                ("p2.path", "[Path]\nPathExists=/x\nPathChanged=rel\n"),
                ("p2.service", ok),
            ],
            args: &["p2.path"],
        },
    ]);
}

#[test]
fn templates_drop_ins_and_specifiers() {
    let template = "[Unit]\nDescription=T %i\nDocumentation=man:nosuchpage-unitbox(8)\n\
        [Service]\nExecStart=/nope/%i\nFooo=%i\n";
    assert_agree(&[
        // 252 verifies a template as the instance `i`.
        Case {
            files: &[("t@.service", template)],
            args: &["t@.service"],
        },
        Case {
            files: &[("t@.service", template)],
            args: &["t@bar.service", "--man=no"],
        },
        Case {
            files: &[
                ("x.service", "[Service]\nExecStart=/bin/true\nBogus=1\n"),
                (
                    "x.service.d/10-a.conf",
                    "[Service]\nAlsoBogus=1\nRestartSec=x\n",
                ),
                (
                    "x.service.d/20-b.conf",
                    "[Unit]\nWants=nope\n[Service]\nExecStart=\nExecStart=/nope/dropin\n",
                ),
                ("service.d/50-all.conf", "[Service]\nTypeBogus=1\n"),
            ],
            args: &["x.service"],
        },
    ]);
}

#[test]
fn dependencies_are_loaded_and_required_ones_checked() {
    let with = |dep: &str| format!("[Unit]\n{dep}\n[Service]\nExecStart=/bin/true\n");
    let cases: Vec<(String, &str)> = [
        "Requires=missing.service",
        "Requires=bad.service",
        "Requires=masked.service",
        "Requires=broken.service",
        "Requisite=missing.service",
        "BindsTo=missing.service",
        "Requires=chain.service",
        "Wants=chain.service",
        "Wants=bad.service",
        "Wants=broken.service",
        "Wants=masked.service",
        "PartOf=missing.service\nUpholds=missing.service\nOnFailure=missing.service",
        "Requires=dev-sda.device system-x.slice",
    ]
    .iter()
    .map(|d| (with(d), "x.service"))
    .collect();
    let common: [(&str, &str); 4] = [
        ("bad.service", "[Service]\nType=simple\n"),
        ("@mask masked.service", ""),
        ("broken.service", "[Unit]\nA=1\n[Broken\n"),
        (
            "chain.service",
            "[Unit]\nRequires=missing2.service\n[Service]\nExecStart=/bin/true\n",
        ),
    ];
    let mut failures = Vec::new();
    if !have_oracle() {
        return;
    }
    for (text, name) in &cases {
        let mut files: Vec<(&str, &str)> = common.to_vec();
        files.push((name, text));
        failures.extend(differ(&[Case {
            files: &files,
            args: &[name],
        }]));
    }
    // Warnings of every referenced unit, in 252's load order (depth first, last first).
    let top = "[Unit]\nWants=w.service\nAfter=o.service\nRequires=r.service\nOnFailure=f.service\n\
        Conflicts=c.service\n[Service]\nExecStart=/bin/true\nBad1=1\n";
    let mut files: Vec<(String, String)> = vec![("top.service".into(), top.into())];
    for n in ["w", "o", "r", "f", "c"] {
        files.push((
            format!("{n}.service"),
            format!("[Unit]\nWants={n}2.service\n[Service]\nExecStart=/bin/true\nBad{n}=1\n"),
        ));
        files.push((
            format!("{n}2.service"),
            format!("[Service]\nExecStart=/bin/true\nBad{n}2=1\n"),
        ));
    }
    files.push((
        "clean.service".into(),
        "[Unit]\nWants=w.service\n[Service]\nExecStart=/bin/true\n".into(),
    ));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    for args in [
        &["top.service"][..],
        &["--recursive-errors=yes", "clean.service"],
        &["--recursive-errors=one", "clean.service"],
        &["--recursive-errors=one", "top.service"],
        &["--recursive-errors=no", "top.service"],
        &["clean.service", "w2.service", "top.service"],
    ] {
        failures.extend(differ(&[Case {
            files: &files,
            args,
        }]));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn root_and_command_line() {
    if !have_oracle() {
        return;
    }
    let tree = tree_with(&[], false);
    for (name, text) in BASE {
        tree.write(&format!("usr/lib/systemd/system/{name}"), text);
    }
    tree.write(
        "etc/systemd/system/x.service",
        "[Service]\nExecStart=/usr/bin/foo\nExecStartPost=/usr/bin/notexec\nBad=1\n",
    );
    tree.write("usr/bin/foo", "#!/bin/sh\n");
    tree.write("usr/bin/notexec", "#!/bin/sh\n");
    let foo = tree.host("usr/bin/foo");
    std::fs::set_permissions(foo, std::fs::Permissions::from_mode(0o755)).unwrap();
    tree.write("srv/units/y.service", "[Service]\nExecStart=foo\nBad=2\n");
    let root = format!("--root={}", tree.path().display());
    let mut failures = Vec::new();
    let dir = tree.path();
    for args in [
        &[root.as_str(), "x.service"][..],
        &[root.as_str(), "/srv/units/y.service"],
        &[root.as_str(), "srv/units/y.service"],
        &[
            root.as_str(),
            "/etc/systemd/system/x.service",
            "nosuch.service",
        ],
        &[],
        &["--man=maybe", "x.service"],
        &["--generators=perhaps", "x.service"],
        &["--recursive-errors=bogus", "x.service"],
        &["--recursive-errors=help", "x.service"],
    ] {
        failures.extend(compare(dir, None, args));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Debian's own unit files verify as with 252 (most clean; those whose man pages are not
/// installed fail the same way), with the machine's whole search path.
#[test]
fn debian_units_verify_as_with_252() {
    let dir = Path::new("/lib/systemd/system");
    if !have_oracle() || !dir.is_dir() {
        return;
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        .map(|e| e.path().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for name in &names {
        failures.extend(compare(Path::new("/"), None, &[name.as_str()]));
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}
