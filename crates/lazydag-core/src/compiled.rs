//! [`Compiled`]: outputs planned once and run many times ([`compile`], [`Delayed::plan`]).
//!
//! A compute walks the linked graph into a [`Plan`] (collect, check, optimize) every time; a
//! compiled plan does that once, and builds the plan's dependents lists then too. Each
//! [`run`](Compiled::run) hands the same plan to a scheduler, whose per-run state (counts,
//! slots) is copied from the plan's arrays alone. Invariant: a run behaves
//! exactly as a compute of the same outputs with a default [`Control`](crate::Control) (no
//! callbacks, cancel token or timeout), with the optimizer configured when it was compiled.
//! A cached task (`Delayed::cache`) probes its store when it is planned, so a plan whose cached
//! task missed is planned again by each run (which then loads a value stored since, as a
//! compute would), until one finds every value stored; that plan is kept.
//!
//! [`Delayed::plan`]: crate::Delayed::plan

use std::fmt;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use lazydag_optimize::Optimizer;

use crate::compute::{scheduled, unpack};
use crate::config::default_scheduler;
use crate::error::Error;
use crate::outputs::Outputs;
use crate::plan::{Plan, Stop};
use crate::schedulers::Scheduler;
use crate::sync::std_locks::{read as read_std, write as write_std};

/// Outputs planned once, to run many times without walking the graph again.
///
/// Running it is a compute with the default [`Control`](crate::Control): no callbacks, no
/// cancel token, no timeout (use [`compute_with_control`](crate::compute_with_control) for
/// those). A non-`Clone` literal (`delayed_once`) is moved into the first run; a later run then
/// fails with [`Error::LiteralMoved`], as a second compute would.
///
/// ```
/// use lazydag_core::{compile, delayed, scheduler::Sequential};
/// fn add(a: u64, b: u64) -> u64 { a + b }
/// let x = delayed!(add(1, 2));
/// let z = delayed!(add(&x, 10));
/// let plan = z.plan().unwrap();
/// assert_eq!(plan.run().unwrap(), 13);
/// assert_eq!(plan.run_with(&Sequential).unwrap(), 13);
/// let both = compile((x, z)).unwrap();
/// assert_eq!(both.run().unwrap(), (3, 13));
/// ```
pub struct Compiled<O> {
    outputs: O,
    /// Replaced by a run's fresh plan while a cached task misses (see `run_with`).
    plan: RwLock<Plan>,
    optimizer: Optimizer,
    /// Whether the plan has a cached task that missed its store: each run plans again, as a
    /// compute would, until one finds every cached value stored.
    replan: AtomicBool,
}

/// Plans `outputs` once (collect, check, optimize with the configured optimizer) for
/// [`Compiled::run`].
///
/// # Errors
/// [`Error::NotClone`] when a value with several uses cannot be cloned; [`Error::Config`] for
/// a bad optimizer configuration.
pub fn compile<O: Outputs>(outputs: O) -> Result<Compiled<O>, Error> {
    compile_with(outputs, &crate::config::optimizer()?)
}

/// Plans `outputs` once with `optimizer` ([`Optimizer::off`] for the graph exactly as
/// recorded), for [`Compiled::run`].
///
/// ```
/// use lazydag_core::{compile_with, delayed, Optimizer};
/// fn inc(x: u64) -> u64 { x + 1 }
/// let plan = compile_with(delayed!(inc(delayed!(inc(1)))), &Optimizer::off()).unwrap();
/// assert_eq!(plan.plan().view().len(), 3); // nothing fused: the literal and two incs
/// assert_eq!(plan.run().unwrap(), 3);
/// ```
///
/// # Errors
/// [`Error::NotClone`] when a value with several uses cannot be cloned.
pub fn compile_with<O: Outputs>(outputs: O, optimizer: &Optimizer) -> Result<Compiled<O>, Error> {
    let plan = {
        let mut roots = Vec::new();
        outputs.roots(&mut roots);
        Plan::for_compute(&roots, Stop::default(), optimizer)?
    };
    // The run state that does not change from run to run is part of the compiled form: the
    // dependents lists are built now, once, instead of in the first run.
    plan.view().prepare();
    let replan = AtomicBool::new(plan.view().has_cache_miss());
    Ok(Compiled { outputs, plan: RwLock::new(plan), optimizer: optimizer.clone(), replan })
}

impl<O: Outputs> Compiled<O> {
    /// Runs the plan on the default scheduler.
    ///
    /// # Errors
    /// The first task that fails or panics, named in the [`Error`].
    pub fn run(&self) -> Result<O::Values, Error> {
        self.run_with(&*default_scheduler()?)
    }

    /// Runs the plan on `scheduler`.
    ///
    /// # Errors
    /// The first task that fails or panics, named in the [`Error`]; [`Error::Scheduler`] if the
    /// scheduler returns values that do not match the plan's outputs.
    pub fn run_with(&self, scheduler: &dyn Scheduler) -> Result<O::Values, Error> {
        let values = scheduled(&self.current()?, scheduler)?;
        unpack(&self.outputs, values, scheduler)
    }

    /// The plan a run runs: the compiled one, or, while a cached task of it misses its store,
    /// a fresh one (a cache probes its store when planned: a value stored since is loaded,
    /// and its inputs do not run, as in a compute). A fresh plan that misses nothing is kept.
    fn current(&self) -> Result<Plan, Error> {
        if !self.replan.load(Ordering::Acquire) {
            return Ok(read_std(&self.plan).clone());
        }
        let mut roots = Vec::new();
        self.outputs.roots(&mut roots);
        let plan = Plan::for_compute(&roots, Stop::default(), &self.optimizer)?;
        plan.view().prepare();
        if !plan.view().has_cache_miss() {
            *write_std(&self.plan) = plan.clone();
            self.replan.store(false, Ordering::Release);
        }
        Ok(plan)
    }

    /// The compiled plan (the latest one, when cached tasks made a run plan again).
    pub fn plan(&self) -> Plan {
        read_std(&self.plan).clone()
    }
}

impl<O> fmt::Debug for Compiled<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").field("plan", &*read_std(&self.plan)).finish_non_exhaustive()
    }
}
