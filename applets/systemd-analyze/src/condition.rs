//! `systemd-analyze condition ASSIGNMENT…`: evaluates `Condition*=`/`Assert*=` settings as
//! if a unit `test.service` had them, with core's condition module, and words it as 252's
//! analyze-condition.c does: asserts first, then conditions, a line per tested entry on
//! stderr, `Asserts/Conditions succeeded|failed.`; exit 1 when either list fails.

use std::path::PathBuf;
use std::sync::Arc;
use unitbox_core::condition::{self, Condition, ConditionContext, ConditionResult, ConditionType};
use unitbox_core::select::{select, ScopeRequest};
use unitbox_core::unit::syntax::Entry;
use unitbox_core::unit::{Unit, UnitName};

const UNIT: &str = "test.service";

/// Whether `key` names a condition or an assert systemd knows.
fn is_condition_key(key: &str) -> bool {
    key.strip_prefix("Condition")
        .or_else(|| key.strip_prefix("Assert"))
        .is_some_and(|name| ConditionType::from_name(name).is_some())
}

/// The exit code; messages go to stderr as systemd's log does.
pub fn condition(assignments: &[String], user: bool) -> i32 {
    let origin = Arc::new(PathBuf::from("(cmdline)"));
    let mut entries = Vec::new();
    for (line, text) in assignments.iter().enumerate() {
        match text.split_once('=') {
            Some((key, value)) if is_condition_key(key) => entries.push(Entry {
                section: "Unit".into(),
                key: key.into(),
                value: value.into(),
                file: origin.clone(),
                line: line + 1,
            }),
            _ => {
                eprintln!("Cannot parse \"{text}\".");
                return 1;
            }
        }
    }
    let Ok(name) = UnitName::parse(UNIT) else {
        return 1;
    };
    let unit = Unit::loaded_with(name, entries);
    let request = ScopeRequest {
        user,
        system: !user,
        ..Default::default()
    };
    let scope = match select(&request, &|k| std::env::var(k).ok()) {
        Ok(scope) => scope,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let ctx = ConditionContext::current(&scope);
    let parsed = condition::parse_in(&unit, &ctx);
    for d in &parsed.diagnostics {
        eprintln!("(cmdline): {}", d.message);
    }
    let asserts_hold = report(parsed.asserts, &ctx, "Asserts");
    let conditions_hold = report(parsed.conditions, &ctx, "Conditions");
    if asserts_hold && conditions_hold {
        0
    } else {
        1
    }
}

/// Tests one list and prints it; an empty list holds and prints nothing.
fn report(list: Vec<Condition>, ctx: &ConditionContext, what: &str) -> bool {
    if list.is_empty() {
        return true;
    }
    let mut warnings = Vec::new();
    let (holds, tested) = condition::test_list(list, ctx, &mut warnings);
    let mut warnings = warnings.into_iter();
    for t in &tested {
        match t.result {
            ConditionResult::Untested => {}
            ConditionResult::Error(_) => {
                if let Some(w) = warnings.next() {
                    eprintln!("{UNIT}: {w}");
                }
            }
            result => eprintln!("{UNIT}: {} {}.", t.condition, result.as_str()),
        }
    }
    eprintln!("{what} {}.", if holds { "succeeded" } else { "failed" });
    holds
}
