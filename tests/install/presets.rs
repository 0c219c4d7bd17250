//! preset, preset-all and `--preset-mode`, with and without `*.preset` files.

use super::*;

fn with_presets(files: &[(&str, &str)]) -> Tree {
    let t = fixture();
    t.symlink(
        &format!("{VENDOR}/foo.service"),
        "/etc/systemd/system/multi-user.target.wants/foo.service",
    );
    t.symlink(
        &format!("{VENDOR}/t@.service"),
        "/etc/systemd/system/multi-user.target.wants/t@old.service",
    );
    for (path, text) in files {
        t.write(path, text);
    }
    t
}

#[test]
fn without_preset_files_everything_is_enabled() {
    let t = with_presets(&[]);
    same(&t, &["preset", "baz"]);
    same(&t, &["preset", "foo", "t@", "ind", "static"]);
    same(&t, &["preset", "t@x"]);
    assert_eq!(same(&t, &["preset", "nope"]).code, 1);
    same_lines(&t, &["preset-all"]);
}

#[test]
fn rules_decide_first_match_wins_and_names_override() {
    let t = with_presets(&[
        (
            "/usr/lib/systemd/system-preset/50-x.preset",
            "enable t@.service a b\n# c\n;x\nenable baz.*\n",
        ),
        (
            "/usr/lib/systemd/system-preset/90-default.preset",
            "enable foo.service\ndisable *\n",
        ),
        (
            "/usr/lib/systemd/system-preset/80-hidden.preset",
            "enable *\n",
        ),
        (
            "/etc/systemd/system-preset/80-hidden.preset",
            "disable ind.service\n",
        ),
    ]);
    same(&t, &["list-unit-files"]);
    same(&t, &["preset", "foo", "t@", "ind", "baz", "static"]);
    same(&t, &["preset", "t@a", "t@zz"]);
    for mode in ["full", "enable-only", "disable-only"] {
        same_lines(&t, &["preset-all", &format!("--preset-mode={mode}")]);
        same(
            &t,
            &["preset", &format!("--preset-mode={mode}"), "t@", "foo"],
        );
    }
}

#[test]
fn bad_preset_lines_are_reported_like_252() {
    // "ignore" is systemd 254+; 252 rejects it, as it rejects instances for non-templates.
    let t = with_presets(&[(
        "/usr/lib/systemd/system-preset/10-a.preset",
        "ignore foo.service\nbogus line\nenable baz.service q r\ndisable static.service\n",
    )]);
    same(&t, &["list-unit-files", "foo.service", "baz.service"]);
    same(&t, &["preset", "foo"]);
}

#[test]
fn preset_all_reports_masked_generated_and_missing_units() {
    let t = with_presets(&[(
        "/usr/lib/systemd/system-preset/90-default.preset",
        "disable t@.service\n",
    )]);
    t.symlink("/dev/null", "/etc/systemd/system/m.service");
    t.write("/run/systemd/transient/tr.service", SERVICE);
    t.write(
        "/run/systemd/generator/gen.service",
        &unit("WantedBy=a.target"),
    );
    t.symlink("/nonexistent", "/etc/systemd/system/dang.service");
    t.symlink("/opt/l.service", "/run/systemd/system/l.service");
    let out = same_lines(&t, &["preset-all"]);
    assert_eq!(out.code, 0);
    assert_eq!(same(&t, &["preset", "m", "foo"]).code, 1);
    assert_eq!(same(&t, &["preset", "tr"]).code, 1);
}
