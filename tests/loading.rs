//! Unit loading against systemd 252. `systemctl cat` of systemd refuses `--root`, so the
//! oracle for which files make a unit is `systemd-analyze --root=DIR verify UNIT` with debug
//! logging, whose unit dump lists `Fragment Path:` and `DropIn Path:` in load order; our
//! `systemctl cat` headers must list the same files in the same order.

use crate::support::*;
use std::path::Path;
use std::process::Command;

const ANALYZE: &str = "/usr/bin/systemd-analyze";

#[derive(Debug, PartialEq, Eq)]
enum Files {
    Paths(Vec<String>),
    Masked,
    NotFound,
}

/// What systemd loads for `unit` in `tree`.
fn oracle_files(tree: &Tree, unit: &str) -> Files {
    let out = run_cmd(
        Command::new(ANALYZE)
            .env("SYSTEMD_LOG_LEVEL", "debug")
            .arg(format!("--root={}", tree.path().display()))
            .args(["verify", unit]),
    );
    // Log lines go to stderr, the unit dump to stdout.
    let text = tree.scrub(&format!("{}{}", out.stderr, out.stdout));
    if text.contains(&format!("Unit {unit} is masked.")) {
        return Files::Masked;
    }
    let mut paths = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.starts_with("\t-> Unit ") {
            in_block = !line.contains("sysinit.target") && !line.contains(".slice");
            continue;
        }
        let line = line.trim();
        if let Some(p) = line
            .strip_prefix("Fragment Path: ")
            .or_else(|| line.strip_prefix("DropIn Path: "))
        {
            if in_block {
                paths.push(p.trim_start_matches("<ROOT>").to_string());
            }
        }
    }
    if paths.is_empty() {
        Files::NotFound
    } else {
        Files::Paths(paths)
    }
}

/// What our `systemctl cat` shows for `unit`.
fn our_files(tree: &Tree, unit: &str) -> Files {
    let out = tree.systemctl(&["cat", unit]);
    if out.stdout.trim() == format!("# Unit {unit} is masked.") {
        return Files::Masked;
    }
    if out.code != 0 {
        assert_eq!(out.stderr.trim(), format!("No files found for {unit}."));
        return Files::NotFound;
    }
    Files::Paths(
        out.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.starts_with('/'))
            .map(str::to_string)
            .collect(),
    )
}

fn have_oracle() -> bool {
    Path::new(ANALYZE).exists()
}

const SVC: &str = "[Service]\nExecStart=/bin/true\n";

/// One tree with every loader case: precedence, masks, aliases, links, templates,
/// instances and all kinds of drop-ins.
fn loader_tree() -> Tree {
    let t = Tree::new();
    let (etc, usr, run) = (
        "/etc/systemd/system",
        "/usr/lib/systemd/system",
        "/run/systemd/system",
    );
    let conf = |d: &str| format!("[Unit]\nDescription={d}\n");
    // Precedence: /etc beats /run beats /usr/lib.
    t.write(&format!("{usr}/prec.service"), SVC);
    t.write(&format!("{run}/prec.service"), SVC);
    t.write(&format!("{etc}/prec.service"), SVC);
    // Masks: /dev/null symlink and empty file in /etc beat the vendor file.
    t.write(&format!("{usr}/masked.service"), SVC);
    t.symlink("/dev/null", &format!("{etc}/masked.service"));
    t.write(&format!("{usr}/empty.service"), SVC);
    t.write(&format!("{etc}/empty.service"), "");
    // Aliases inside the path, a same-name symlink, a linked unit outside the path.
    t.write(&format!("{usr}/real.service"), SVC);
    t.symlink(
        &format!("{usr}/real.service"),
        &format!("{etc}/alias.service"),
    );
    t.symlink("real.service", &format!("{usr}/alias2.service"));
    t.write(&format!("{usr}/same.service"), SVC);
    t.symlink(
        &format!("{usr}/same.service"),
        &format!("{etc}/same.service"),
    );
    t.write("/opt/linked.service", SVC);
    t.symlink(
        "../../../opt/linked.service",
        &format!("{etc}/linked.service"),
    );
    // An alias of another type is rejected and the vendor file shows through.
    t.write(&format!("{usr}/typed.service"), SVC);
    t.write(&format!("{usr}/other.socket"), "[Socket]\nListenStream=1\n");
    t.symlink("other.socket", &format!("{etc}/typed.service"));
    // Drop-ins: same file name (higher dir wins), prefixes, type, a masked drop-in,
    // and an alias's own directory.
    t.write(&format!("{usr}/foo-bar-baz.service"), SVC);
    t.write(
        &format!("{usr}/foo-bar-baz.service.d/10-a.conf"),
        &conf("a"),
    );
    t.write(&format!("{etc}/foo-.service.d/10-a.conf"), &conf("b"));
    t.write(&format!("{usr}/foo-bar-.service.d/05-c.conf"), &conf("c"));
    t.write(&format!("{usr}/service.d/99-type.conf"), &conf("d"));
    t.symlink(
        "/dev/null",
        &format!("{run}/foo-bar-baz.service.d/05-c.conf"),
    );
    t.write(
        &format!("{etc}/foo-bar-baz.service.d/.hidden.conf"),
        &conf("h"),
    );
    t.write(&format!("{etc}/foo-bar-baz.service.d/notconf"), &conf("n"));
    t.write(&format!("{etc}/alias.service.d/alias.conf"), &conf("al"));
    t.write(&format!("{etc}/real.service.d/real.conf"), &conf("re"));
    // Templates and instances, instance and template drop-ins, a template alias.
    t.write(&format!("{usr}/tpl@.service"), SVC);
    t.write(&format!("{usr}/tpl@special.service"), SVC);
    t.write(&format!("{etc}/tpl@.service.d/t.conf"), &conf("t"));
    t.write(&format!("{etc}/tpl@x.service.d/i.conf"), &conf("i"));
    t.symlink("tpl@.service", &format!("{usr}/alt@.service"));
    t.write(&format!("{usr}/dash-tpl@.service"), SVC);
    t.write(&format!("{usr}/dash-@.service.d/p.conf"), &conf("p"));
    t.write(&format!("{usr}/dash-@y.service.d/q.conf"), &conf("q"));
    t.write(&format!("{usr}/dash-.service.d/r.conf"), &conf("r"));
    // A target with drop-ins but only in the type dir of another type.
    t.write(&format!("{usr}/plain.target"), "[Unit]\nDescription=t\n");
    t.write(&format!("{usr}/target.d/x.conf"), &conf("x"));
    t
}

#[test]
fn cat_lists_the_files_systemd_loads() {
    if !have_oracle() {
        eprintln!("skipped: {ANALYZE} missing");
        return;
    }
    let tree = loader_tree();
    let units = [
        "prec.service",
        "masked.service",
        "empty.service",
        "real.service",
        "alias.service",
        "alias2.service",
        "same.service",
        "linked.service",
        "typed.service",
        "foo-bar-baz.service",
        "tpl@x.service",
        "tpl@special.service",
        "alt@x.service",
        "dash-tpl@y.service",
        "plain.target",
        "nosuch.service",
    ];
    let mut diffs = Vec::new();
    for unit in units {
        let (ours, theirs) = (our_files(&tree, unit), oracle_files(&tree, unit));
        if ours != theirs {
            diffs.push(format!("{unit}: ours {ours:?}, systemd {theirs:?}"));
        }
    }
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}

#[test]
fn cat_prints_headers_contents_and_blank_lines() {
    let t = Tree::new();
    t.write(
        "/usr/lib/systemd/system/a.service",
        "[Service]\r\nExecStart=/bin/true",
    );
    t.write(
        "/etc/systemd/system/a.service.d/x.conf",
        "[Unit]\nDescription=x\n",
    );
    t.write("/usr/lib/systemd/system/b.service", SVC);
    let out = t.systemctl(&["cat", "a", "b.service"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "# /usr/lib/systemd/system/a.service\n[Service]\nExecStart=/bin/true\n\n\
         # /etc/systemd/system/a.service.d/x.conf\n[Unit]\nDescription=x\n\n\
         # /usr/lib/systemd/system/b.service\n[Service]\nExecStart=/bin/true\n"
    );
}

#[test]
fn cat_of_missing_masked_and_globs() {
    let t = Tree::new();
    t.write("/usr/lib/systemd/system/web-a.service", SVC);
    t.write("/usr/lib/systemd/system/web-b.service", SVC);
    t.symlink("/dev/null", "/etc/systemd/system/m.service");
    let out = t.systemctl(&["cat", "nope"]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(out.stderr, "No files found for nope.service.\n");
    let out = t.systemctl(&["cat", "m.service"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "# Unit m.service is masked.\n")
    );
    let out = t.systemctl(&["cat", "web-*"]);
    assert_eq!(out.code, 0);
    let headers: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("# ")).collect();
    assert_eq!(
        headers,
        [
            "# /usr/lib/systemd/system/web-a.service",
            "# /usr/lib/systemd/system/web-b.service"
        ]
    );
    let out = t.systemctl(&["cat", "nope", "web-a"]);
    assert_eq!(
        out.code, 1,
        "a missing unit fails the verb even if others print"
    );
    assert!(out
        .stdout
        .starts_with("# /usr/lib/systemd/system/web-a.service\n"));
}

#[test]
fn daemon_reload_reports_what_systemd_warns_about() {
    let t = Tree::new();
    t.write(
        "/etc/systemd/system/g.service",
        "Foo=1\n[Unit]\nDescription=x\nBogus=1\nX-Ok=1\n[X-Sec]\nA=1\n[Weird]\nB=2\n\
         [Service]\nExecStart=/bin/true\ngarbage line\n=novalue\nType=bogus\n",
    );
    t.write(
        "/etc/systemd/system/os.service",
        "[Service]\nType=oneshot\nRestart=always\nExecStart=/bin/true\n",
    );
    let out = t.systemctl(&["daemon-reload"]);
    assert_eq!(out.code, 0, "{out:?}");
    let p = "/etc/systemd/system/g.service";
    let expected = [
        format!("{p}:1: Assignment outside of section. Ignoring."),
        format!("{p}:4: Unknown key 'Bogus' in section [Unit], ignoring."),
        format!("{p}:8: Unknown section 'Weird'. Ignoring."),
        format!("{p}:12: Missing '=', ignoring line."),
        format!("{p}:13: Missing key name before '=', ignoring line."),
        format!("{p}:14: Failed to parse service type, ignoring: bogus"),
        "os.service: Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.".to_string(),
    ];
    for line in &expected {
        assert!(
            out.stderr.lines().any(|l| l == line),
            "missing {line:?} in:\n{}",
            out.stderr
        );
    }
    if have_oracle() {
        // The same messages as systemd's own loader (paths aside).
        let verify = run_cmd(
            Command::new(ANALYZE)
                .arg(format!("--root={}", t.path().display()))
                .args(["verify", "g.service", "os.service"]),
        );
        let theirs = t.scrub(&verify.stderr).replace("<ROOT>", "");
        for line in &expected {
            assert!(
                theirs.lines().any(|l| l == line),
                "systemd does not say {line:?}:\n{theirs}"
            );
        }
    }
}

#[test]
fn hostile_unit_files_never_panic() {
    let t = Tree::new();
    let dir = "/etc/systemd/system";
    t.write(
        &format!("{dir}/quote.service"),
        "[Service]\nExecStart=/bin/true\nEnvironment=\"A=1\n",
    );
    t.write(
        &format!("{dir}/header.service"),
        "[Service\nExecStart=/bin/true\n",
    );
    t.write(
        &format!("{dir}/cont.service"),
        "[Service]\nExecStart=/bin/true \\",
    );
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 256) as u8).collect();
    std::fs::write(t.host(&format!("{dir}/junk.service")), &junk).unwrap();
    let huge = format!(
        "[Service]\nExecStart=/bin/{}\n",
        "x".repeat(2 * 1024 * 1024)
    );
    t.write(&format!("{dir}/huge.service"), &huge);
    t.symlink("loop.service", &format!("{dir}/loop2.service"));
    t.symlink("loop2.service", &format!("{dir}/loop.service"));
    let out = t.systemctl(&["daemon-reload"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out
        .stderr
        .contains("/etc/systemd/system/header.service:1: Invalid section header '[Service'"));
    assert!(out
        .stderr
        .contains("/etc/systemd/system/huge.service:2: Line too long"));
    for unit in ["quote", "header", "cont", "junk", "huge", "loop"] {
        let out = t.systemctl(&["cat", unit]);
        assert!(matches!(out.code, 0 | 1), "{unit}: {out:?}");
        assert!(!out.stderr.contains("panicked"), "{unit}: {}", out.stderr);
    }
    let out = t.systemctl(&["cat", "header"]);
    assert_eq!(out.stdout, "# Unit header.service could not be loaded.\n");
}
