//! What the init does when a unit stops or fails on its own: the unit's `FailureAction=`
//! and `SuccessAction=` (systemd.unit(5)), and, with `UNITBOX_EXIT_WHEN_IDLE=1`, exiting
//! once no service runs any more. In a container every action of the reboot/poweroff/halt
//! family ends the container; `exit` passes `FailureActionExitStatus=`/
//! `SuccessActionExitStatus=` or else the unit's main exit status.
//!
//! The init learns of these moments by reaping the unit's supervisor (it is their
//! subreaper); it then compares the state files with what it saw last time.

use crate::manager::runtime::{runtime_state, supervisor_alive};
use crate::scope::Scope;
use crate::service::types::EmergencyAction;
use crate::service::ServiceConfig;
use crate::state::{ActiveState, StateDir, UnitState};
use crate::unit::{UnitName, UnitStore};
use std::collections::HashMap;

/// A shutdown a unit asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownRequest {
    /// Skip the orderly stop of the units (`*-force`, `*-immediate`).
    pub force: bool,
    pub exit_code: i32,
}

/// The request an emergency action makes, `None` for `none`.
pub fn request_for(action: EmergencyAction, exit_code: i32) -> Option<ShutdownRequest> {
    use EmergencyAction as A;
    let force = match action {
        A::None => return None,
        A::Reboot | A::Poweroff | A::Halt | A::Exit | A::SoftReboot | A::Kexec => false,
        _ => true,
    };
    let exit_code = if matches!(action, A::Exit | A::ExitForce) {
        exit_code
    } else {
        0
    };
    Some(ShutdownRequest { force, exit_code })
}

/// The transitions the init has seen: unit → its state at the last look.
#[derive(Default)]
pub struct UnitWatch {
    last: HashMap<String, ActiveState>,
}

/// A unit that reached an end state since the last look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub unit: String,
    pub failed: bool,
    pub main_status: i32,
}

impl UnitWatch {
    /// Units that went to `failed`, or from running to `inactive`, since the last call.
    pub fn ended(&mut self, dir: &StateDir) -> Vec<Ended> {
        let mut out = Vec::new();
        for unit in dir.units_with_state() {
            let state = runtime_state(dir, &unit);
            let now = state.active_state;
            let before = self.last.insert(unit.clone(), now);
            if before == Some(now) {
                continue;
            }
            let ran = state.inactive_enter.monotonic != 0 || state.active_enter.monotonic != 0;
            let ended = match now {
                ActiveState::Failed => true,
                ActiveState::Inactive => match before {
                    Some(prev) => !prev.is_inactive_or_failed(),
                    None => ran && state.inactive_enter.monotonic != 0,
                },
                _ => false,
            };
            if ended {
                out.push(Ended {
                    unit,
                    failed: now == ActiveState::Failed,
                    main_status: main_status(&state),
                });
            }
        }
        out
    }
}

fn main_status(state: &UnitState) -> i32 {
    state.exec_main_status
}

/// The first shutdown the ended units ask for.
pub fn requested_shutdown(scope: &Scope, ended: &[Ended]) -> Option<ShutdownRequest> {
    if ended.is_empty() {
        return None;
    }
    let store = UnitStore::new(scope.clone());
    ended.iter().find_map(|e| {
        let unit = store.load(&UnitName::parse(&e.unit).ok()?);
        if !unit.is_loaded() {
            return None;
        }
        let (config, _) = ServiceConfig::from_unit(&unit, scope);
        let (action, key) = if e.failed {
            (config.failure_action, "FailureActionExitStatus")
        } else {
            (config.success_action, "SuccessActionExitStatus")
        };
        let code = unit
            .settings
            .get("Unit", key)
            .and_then(|v| v.parse::<u8>().ok())
            .map(i32::from)
            .unwrap_or(e.main_status);
        let request = request_for(action, code)?;
        println!(
            "unitbox: {} {}, {}={} ",
            e.unit,
            if e.failed { "failed" } else { "finished" },
            if e.failed {
                "FailureAction"
            } else {
                "SuccessAction"
            },
            action.as_str()
        );
        Some(request)
    })
}

/// Whether no unit has a live supervisor any more (every service has exited).
pub fn idle(dir: &StateDir) -> bool {
    !dir.units_with_state()
        .iter()
        .any(|u| supervisor_alive(dir, u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_map_to_shutdowns() {
        assert_eq!(request_for(EmergencyAction::None, 3), None);
        assert_eq!(
            request_for(EmergencyAction::Exit, 3),
            Some(ShutdownRequest {
                force: false,
                exit_code: 3
            })
        );
        assert_eq!(
            request_for(EmergencyAction::PoweroffForce, 3),
            Some(ShutdownRequest {
                force: true,
                exit_code: 0
            })
        );
        assert_eq!(
            request_for(EmergencyAction::ExitForce, 9)
                .unwrap()
                .exit_code,
            9
        );
    }

    #[test]
    fn watch_reports_each_end_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::open(
            tmp.path().to_path_buf(),
            crate::state::boot::BootRecord::current(),
        )
        .unwrap();
        let mut watch = UnitWatch::default();
        let mut s = UnitState::default();
        s.set_state(
            ActiveState::Failed,
            crate::state::SubState::Failed,
            crate::time::DualTimestamp::now(),
        );
        s.exec_main_status = 4;
        s.write(&dir.unit_paths("a.service").state).unwrap();
        let ended = watch.ended(&dir);
        assert_eq!(
            ended,
            vec![Ended {
                unit: "a.service".into(),
                failed: true,
                main_status: 4
            }]
        );
        assert!(watch.ended(&dir).is_empty(), "reported twice");
        assert!(idle(&dir));
    }
}
