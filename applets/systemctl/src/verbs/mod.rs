//! One module per family of verbs; `dispatch` maps a verb name to its function.

pub mod cat;
pub mod config;
pub mod container;
pub mod deps;
pub mod edit;
pub mod environment;
pub mod init;
pub mod install;
pub mod isolate;
pub mod lifecycle;
pub mod list;
pub mod misc;
pub mod paths;
pub mod set_property;
pub mod show;
pub mod sockets;
pub mod status;
pub mod timers;

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult};

type Verb = fn(&Ctx) -> CtlResult;

/// (name, minimum number of arguments, function). Aliases are separate rows.
const VERBS: &[(&str, usize, Verb)] = &[
    ("help", 0, misc::help),
    ("cat", 1, cat::cat),
    ("daemon-reload", 0, cat::daemon_reload),
    ("show", 0, show::show),
    ("status", 0, status::status),
    ("show-environment", 0, environment::show_environment),
    ("set-environment", 1, environment::set_environment),
    ("unset-environment", 1, environment::unset_environment),
    ("import-environment", 0, environment::import_environment),
    ("list-units", 0, list::list_units),
    ("list-dependencies", 0, deps::list_dependencies),
    ("list-unit-files", 0, install::list_unit_files),
    ("is-enabled", 1, install::is_enabled),
    ("enable", 1, install::enable),
    ("disable", 1, install::disable),
    ("reenable", 1, install::reenable),
    ("mask", 1, install::mask),
    ("unmask", 1, install::unmask),
    ("link", 1, install::link),
    ("preset", 1, install::preset),
    ("preset-all", 0, install::preset_all),
    ("set-default", 1, install::set_default),
    ("get-default", 0, install::get_default),
    ("add-wants", 2, config::add_wants),
    ("add-requires", 2, config::add_requires),
    ("revert", 1, config::revert),
    ("edit", 1, edit::edit),
    ("set-property", 2, set_property::set_property),
    ("start", 1, lifecycle::start),
    ("stop", 1, lifecycle::stop),
    ("condstop", 1, lifecycle::stop),
    ("restart", 1, lifecycle::restart),
    ("try-restart", 1, lifecycle::try_restart),
    ("condrestart", 1, lifecycle::try_restart),
    ("reload", 1, lifecycle::reload),
    ("reload-or-restart", 1, lifecycle::reload_or_restart),
    ("try-reload-or-restart", 1, lifecycle::reload_or_try_restart),
    ("reload-or-try-restart", 1, lifecycle::reload_or_try_restart),
    ("force-reload", 1, lifecycle::reload_or_try_restart),
    ("condreload", 1, lifecycle::reload_or_try_restart),
    ("kill", 1, lifecycle::control::kill),
    ("clean", 1, lifecycle::control::clean),
    ("is-active", 1, lifecycle::query::is_active),
    ("is-failed", 1, lifecycle::query::is_failed),
    ("reset-failed", 0, lifecycle::query::reset_failed),
    ("init", 0, init::init),
    ("default", 0, isolate::default),
    ("isolate", 1, isolate::isolate),
    ("rescue", 0, isolate::rescue),
    ("emergency", 0, isolate::emergency),
    ("halt", 0, init::halt),
    ("poweroff", 0, init::poweroff),
    ("reboot", 0, init::reboot),
    ("exit", 0, init::exit),
    ("is-system-running", 0, init::is_system_running),
];

/// The rest of 252's verbs: what they answer in a container, or one line refusing them.
/// Looked up after [`VERBS`], so a verb implemented there takes over its row here.
const CONTAINER_VERBS: &[(&str, usize, Verb)] = &[
    ("suspend", 0, container::sleep),
    ("hibernate", 0, container::sleep),
    ("hybrid-sleep", 0, container::sleep),
    ("suspend-then-hibernate", 0, container::sleep),
    ("kexec", 0, container::kexec),
    ("switch-root", 1, container::switch_root),
    ("mount-image", 2, container::mount_image),
    ("bind", 2, container::bind),
    ("list-automounts", 0, container::list_automounts),
    ("service-log-level", 1, container::service_log),
    ("service-log-target", 1, container::service_log),
    ("log-level", 0, container::log_level),
    ("log-target", 0, container::log_target),
    ("service-watchdogs", 0, container::service_watchdogs),
    ("list-jobs", 0, container::list_jobs),
    ("cancel", 0, container::cancel),
    ("list-machines", 0, container::not_supported),
    ("list-sockets", 0, sockets::list_sockets),
    ("list-timers", 0, timers::list_timers),
    ("daemon-reexec", 0, container::not_supported),
    ("freeze", 1, container::not_supported),
    ("thaw", 1, container::not_supported),
];

pub fn dispatch(ctx: &Ctx) -> CtlResult {
    let verb = ctx.opts.verb.as_deref().unwrap_or("list-units");
    let Some((_, min_args, run)) = VERBS
        .iter()
        .chain(CONTAINER_VERBS)
        .find(|(name, _, _)| *name == verb)
    else {
        return Err(CtlError::failure(format!("Unknown command verb {verb}.")));
    };
    if ctx.opts.args.len() < *min_args {
        return Err(CtlError::failure("Too few arguments."));
    }
    run(ctx)
}
