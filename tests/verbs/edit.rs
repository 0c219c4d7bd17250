//! `edit` and `set-property`: the files they write, where, and with which words; `edit`
//! with a scripted editor that records what it was shown and writes `$NEWTEXT`.

use crate::support::{applet, run_cmd, Run, Tree};
use std::process::Command;

const EDITOR: &str = "#!/bin/sh\nfor f in \"$@\"; do cat \"$f\" >> \"$SEEN\"; echo \"ARG $f\" >> \"$SEEN.args\"; done\n\
                      [ -n \"${NEWTEXT+x}\" ] && printf '%s' \"$NEWTEXT\" > \"$1\"\nexit 0\n";

fn tree() -> Tree {
    let tree = Tree::new();
    tree.write(
        "/etc/systemd/system/foo.service",
        "[Service]\nExecStart=/bin/sleep 100\n\n",
    );
    tree.write(
        "/etc/systemd/system/foo.service.d/a.conf",
        "[Unit]\nDescription=x\n",
    );
    tree.write("/editor", EDITOR);
    std::fs::set_permissions(
        tree.host("/editor"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    tree
}

/// `systemctl edit` with the scripted editor; `new` is what it writes (None: leaves the
/// file as shown). Returns the run and what the editor saw.
fn edit(tree: &Tree, args: &[&str], new: Option<&str>) -> (Run, String) {
    let seen = tree.host("/seen");
    let _ = std::fs::remove_file(&seen);
    let mut cmd = Command::new(applet("systemctl"));
    cmd.arg(format!("--root={}", tree.path().display()))
        .arg("edit")
        .args(args)
        .env("SYSTEMD_EDITOR", tree.host("/editor"))
        .env("SEEN", &seen);
    if let Some(text) = new {
        cmd.env("NEWTEXT", text);
    }
    let run = run_cmd(&mut cmd);
    (run, std::fs::read_to_string(&seen).unwrap_or_default())
}

const DROPIN: &str = "/etc/systemd/system/foo.service.d/override.conf";

#[test]
fn edit_writes_the_override_between_252s_markers() {
    let tree = tree();
    let (run, seen) = edit(&tree, &["foo"], Some("  [Service]\nEnvironment=B=2\n\n"));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{run:?}");
    assert_eq!(
        seen,
        "### Editing /etc/systemd/system/foo.service.d/override.conf\n\
         ### Anything between here and the comment below will become the new contents of the file\n\
         \n\n\n\
         ### Lines below this comment will be discarded\n\
         \n\
         ### /etc/systemd/system/foo.service\n\
         # [Service]\n\
         # ExecStart=/bin/sleep 100\n\
         \n\
         ### /etc/systemd/system/foo.service.d/a.conf\n\
         # [Unit]\n\
         # Description=x"
    );
    // Stripped, and without a final newline, as 252 writes it.
    let written = std::fs::read_to_string(tree.host(DROPIN)).unwrap();
    assert_eq!(written, "[Service]\nEnvironment=B=2");
    let show = tree.systemctl(&["show", "-p", "Environment", "foo"]);
    assert_eq!(show.ok().stdout, "Environment=B=2\n");
    // The next edit shows the current contents; leaving the template untouched keeps them.
    let (run, seen) = edit(&tree, &["foo.service"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        seen.contains("file\n\n[Service]\nEnvironment=B=2\n\n### Lines below"),
        "{seen}"
    );
    assert!(
        !seen.contains("### /etc/systemd/system/foo.service.d/override.conf"),
        "{seen}"
    );
    assert_eq!(std::fs::read_to_string(tree.host(DROPIN)).unwrap(), written);
    // Only temporary files of ours were ever in the directory, and none is left.
    let names: Vec<String> = std::fs::read_dir(tree.host("/etc/systemd/system/foo.service.d"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn an_empty_result_cancels_as_252() {
    let tree = tree();
    let dir = "/etc/systemd/system/bar.service.d";
    tree.write(
        "/etc/systemd/system/bar.service",
        "[Service]\nExecStart=/bin/true\n",
    );
    let (run, _) = edit(&tree, &["bar"], Some("\n  \n"));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (0, "Editing \"/etc/systemd/system/bar.service.d/override.conf\" canceled: temporary file is empty.\n")
    );
    assert!(
        !tree.host(dir).exists(),
        "the empty drop-in directory is removed"
    );
    // An existing drop-in stays as it was (252 cancels, it does not delete).
    tree.write(
        &format!("{dir}/override.conf"),
        "[Unit]\nDescription=kept\n",
    );
    let (run, _) = edit(&tree, &["bar"], Some(""));
    assert_eq!(run.code, 0);
    assert_eq!(
        std::fs::read_to_string(tree.host(&format!("{dir}/override.conf"))).unwrap(),
        "[Unit]\nDescription=kept\n"
    );
}

#[test]
fn full_runtime_drop_in_and_refusals() {
    let tree = tree();
    tree.write(
        "/usr/lib/systemd/system/vendor@.service",
        "[Service]\nExecStart=/bin/true\n",
    );
    // --full: the unit file copied to /etc (an instance keeps its instance).
    let (run, seen) = edit(
        &tree,
        &["--full", "vendor@a"],
        Some("[Service]\nExecStart=/bin/false\n"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(seen, "[Service]\nExecStart=/bin/true\n");
    assert_eq!(
        std::fs::read_to_string(tree.host("/etc/systemd/system/vendor@a.service")).unwrap(),
        "[Service]\nExecStart=/bin/false"
    );
    // --runtime writes under /run, unless /etc has the file already.
    let (run, _) = edit(
        &tree,
        &["--runtime", "vendor@b"],
        Some("[Unit]\nDescription=rt\n"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(tree
        .host("/run/systemd/system/vendor@b.service.d/override.conf")
        .exists());
    let (run, _) = edit(&tree, &["--runtime", "--full", "foo"], Some("x"));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (1, "Refusing to create \"/run/systemd/system/foo.service\" because it would be overridden by \"/etc/systemd/system/foo.service\" anyway.\n")
    );
    // --drop-in=NAME (systemd ≥ 253) names the file.
    let (run, _) = edit(
        &tree,
        &["--drop-in=limits", "foo"],
        Some("[Service]\nNice=5\n"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(tree
        .host("/etc/systemd/system/foo.service.d/limits.conf")
        .exists());
    // Unknown and masked units, and no unit for a pattern: 252's words, nothing written.
    let before = tree.snapshot();
    let (run, _) = edit(&tree, &["nope"], Some("x"));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (1, "No files found for nope.service.\nRun 'systemctl edit --force --full nope.service' to create a new unit.\n")
    );
    tree.symlink("/dev/null", "/etc/systemd/system/masked.service");
    let (run, _) = edit(&tree, &["masked"], Some("x"));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (1, "Cannot edit masked.service: unit is masked.\n")
    );
    let (run, _) = edit(&tree, &["nomatch*"], Some("x"));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (1, "No units matched the specified patterns.\n")
    );
    let mut after = tree.snapshot();
    after.remove("etc/systemd/system/masked.service");
    after.remove("seen.args");
    let mut before = before;
    before.remove("seen");
    before.remove("seen.args");
    assert_eq!(after, before);
    // --force creates a new unit.
    let (run, _) = edit(
        &tree,
        &["--force", "--full", "new"],
        Some("[Service]\nExecStart=/bin/true\n"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        tree.systemctl(&["cat", "new"]).ok().stdout,
        "# /etc/systemd/system/new.service\n[Service]\nExecStart=/bin/true\n"
    );
}

#[test]
fn the_editor_is_chosen_as_252_chooses() {
    let tree = tree();
    let none = run_cmd(
        Command::new(applet("systemctl"))
            .arg(format!("--root={}", tree.path().display()))
            .args(["edit", "foo"])
            .env_remove("SYSTEMD_EDITOR")
            .env_remove("VISUAL")
            .env("EDITOR", "/nonexistent/editor")
            .env("PATH", "/nonexistent"),
    );
    assert_eq!(
        none.stderr,
        "Cannot edit units, no editor available. Please set either $SYSTEMD_EDITOR, $EDITOR or $VISUAL.\n\
         (editor) failed with exit status 1.\n\
         Editing \"/etc/systemd/system/foo.service.d/override.conf\" canceled: temporary file is empty.\n"
    );
    assert!(!tree.host(DROPIN).exists());
    // $EDITOR is split at whitespace; $SYSTEMD_EDITOR would win over it.
    let seen = tree.host("/seen");
    let run = run_cmd(
        Command::new(applet("systemctl"))
            .arg(format!("--root={}", tree.path().display()))
            .args(["edit", "foo"])
            .env_remove("SYSTEMD_EDITOR")
            .env(
                "EDITOR",
                format!("/bin/sh {}", tree.host("/editor").display()),
            )
            .env("VISUAL", "/nonexistent")
            .env("SEEN", &seen)
            .env("NEWTEXT", "[Unit]\nDescription=from-editor\n"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        tree.systemctl(&["show", "-p", "Description", "foo"]).stdout,
        "Description=from-editor\n"
    );
}

const CONTROL: &str = "/etc/systemd/system.control/foo.service.d";
const HEADER: &str = "# This is a drop-in unit file extension, created via \"systemctl set-property\"\n# or an equivalent operation. Do not edit.\n";

#[test]
fn set_property_writes_252s_drop_ins() {
    let tree = tree();
    let run = tree.systemctl(&[
        "set-property",
        "foo",
        "CPUQuota=1.5%",
        "MemoryMax=100M",
        "CPUAccounting=1",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("without effect"), "{run:?}");
    for (key, value) in [
        ("CPUQuota", "2%"),
        ("MemoryMax", "104857600"),
        ("CPUAccounting", "yes"),
    ] {
        assert_eq!(
            std::fs::read_to_string(tree.host(&format!("{CONTROL}/50-{key}.conf"))).unwrap(),
            format!("{HEADER}[Service]\n{key}={value}\n")
        );
    }
    // Description= takes effect; --runtime writes under /run (a.conf still sorts later).
    tree.systemctl(&["set-property", "--runtime", "foo", "Description=rt"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(
            tree.host("/run/systemd/system.control/foo.service.d/50-Description.conf")
        )
        .unwrap(),
        format!("{HEADER}[Unit]\nDescription=rt\n")
    );
    std::fs::remove_file(tree.host("/etc/systemd/system/foo.service.d/a.conf")).unwrap();
    assert_eq!(
        tree.systemctl(&["show", "-p", "Description", "foo"]).stdout,
        "Description=rt\n"
    );
    let before = tree.snapshot();
    for (args, message) in [
        (&["set-property", "foo", "CPUWeight=5", "Environment=A=1"][..],
         "Failed to set unit properties on foo.service: Cannot set property Environment, or unknown property.\n"),
        (&["set-property", "foo", "Bogus=1"], "Unknown assignment: Bogus=1\n"),
        (&["set-property", "nope", "CPUQuota=1%"], "Failed to set unit properties on nope.service: Unit nope.service not found.\n"),
        (&["set-property", "foo", "CPUQuota=abc"], "CPU quota 'abc' invalid.\n"),
        (&["set-property", "foo", "NoEq"], "Not an assignment: NoEq\n"),
        (&["set-property", "foo"], "Too few arguments.\n"),
    ] {
        let run = tree.systemctl(args);
        assert_eq!((run.code, run.stderr.as_str()), (1, message), "{args:?}");
    }
    assert_eq!(tree.snapshot(), before, "a refusal writes nothing");
}
