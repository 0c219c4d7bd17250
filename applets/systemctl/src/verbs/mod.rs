//! One module per family of verbs; `dispatch` maps a verb name to its function.

pub mod misc;

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};

type Verb = fn(&Ctx) -> CtlResult;

/// (name, minimum number of arguments, function)
const VERBS: &[(&str, usize, Verb)] = &[
    ("help", 0, misc::help),
    ("get-default", 0, misc::get_default),
];

pub fn dispatch(ctx: &Ctx) -> CtlResult {
    let verb = ctx.opts.verb.as_deref().unwrap_or("list-units");
    let Some((_, min_args, run)) = VERBS.iter().find(|(name, _, _)| *name == verb) else {
        return Err(CtlError::failure(format!("Unknown command verb '{verb}'.")));
    };
    if ctx.opts.args.len() < *min_args {
        return Err(CtlError::failure(format!("Too few arguments.")));
    }
    let _ = ExitStatus::SUCCESS;
    run(ctx)
}
