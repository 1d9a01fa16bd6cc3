//! [`Plan`]: the frozen, index-based form of a graph that schedulers execute.
//!
//! Collecting walks back from the requested outputs with an explicit stack (never recursion),
//! so only tasks an output needs are planned (culling for free) and a 1,000,000-deep chain is
//! fine. The walk numbers tasks in post-order; then `order` renumbers every plan but a tree
//! whose inputs already come deepest first, which keeps its post-order. Every task's index is
//!
//! - **topological**: a task's dependencies have smaller indices, and
//! - **memory-friendly**: after `dask.order`'s ideas (outputs in request order, critical path
//!   first, finish the dependents that free their parents), running tasks in index order
//!   keeps few intermediate values alive (see docs/order.md).
//!
//! Schedulers use the index as the task's static priority (smaller runs first).

mod collect;
mod optimize;
mod order;
mod program;
mod task;
mod view;

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use lazydag_optimize::Optimizer;

use self::collect::Collector;
pub(crate) use self::task::helped;
pub use self::view::{PlanView, TaskStatus};
pub(crate) use self::view::{Stop, TaskHooks, current_hooks};

use crate::error::Error;
use crate::key::TaskKey;
use crate::node::Node;

/// A borrowed view of one recorded task, for inspection and for schedulers.
#[derive(Clone, Copy)]
pub struct TaskRef<'g>(&'g Arc<Node>);

impl<'g> TaskRef<'g> {
    pub(crate) fn new(node: &'g Arc<Node>) -> Self {
        TaskRef(node)
    }

    /// The task's key: readable name and process-unique id.
    pub fn key(self) -> TaskKey {
        self.0.key()
    }

    /// Whether the task is a literal (a value held by the graph), not a function call.
    pub fn is_literal(self) -> bool {
        self.0.kind.literal
    }

    /// Whether the task is a held value: a literal made by [`persist`](crate::persist()) from a
    /// computed task, whose name it keeps.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// fn inc(x: i32) -> i32 { x + 1 }
    /// let y = delayed!(inc(1));
    /// assert!(!y.task().is_held());
    /// assert!(y.persist().unwrap().task().is_held());
    /// ```
    pub fn is_held(self) -> bool {
        self.0.op.is_held()
    }

    /// Whether the task gathers its inputs, in order, into one `Vec` (a `Vec` of handles
    /// collected into a `Delayed<Vec<T>>`), whatever its name.
    ///
    /// ```
    /// use lazydag_core::{delayed, Delayed};
    /// fn inc(x: i32) -> i32 { x + 1 }
    /// let all: Delayed<Vec<i32>> = (0..3).map(|i| delayed!(inc(i))).collect();
    /// assert!(all.clone().name("parts").task().is_gather());
    /// assert!(!delayed!(inc(1)).task().is_gather());
    /// ```
    pub fn is_gather(self) -> bool {
        self.0.op.identity().is_some_and(|id| id.mode == "gather")
    }

    /// The Rust type of the task's output.
    pub fn output_type(self) -> &'static str {
        self.0.op.output_type()
    }

    /// A short `Debug` rendering of a literal's value, when the literal was recorded by
    /// `delayed!` from a `Debug` value.
    pub fn describe(self) -> Option<String> {
        self.0.op.describe()
    }

    /// The number of dependencies (edges into this task).
    pub fn dep_count(self) -> usize {
        self.0.deps.len()
    }

    /// The task's recorded dependencies, in argument order.
    pub fn deps(self) -> impl ExactSizeIterator<Item = TaskRef<'g>> {
        self.0.deps.iter().map(TaskRef)
    }

    /// The task's process-unique id, the one in its [`key`](TaskRef::key), read without
    /// building the key.
    pub fn id(self) -> u64 {
        self.0.id
    }

    /// The path of the function the task calls, as [`std::any::type_name`] writes it: a fn
    /// item's path (`my_app::tasks::stats`), or one ending in `{{closure}}` for a closure;
    /// `None` for a literal, an async task or a gathering task. What a distributed scheduler
    /// looks a task up by, since only named functions can run in another process.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// fn inc(x: i32) -> i32 { x + 1 }
    /// let y = delayed!(inc(1));
    /// assert!(y.task().function_path().unwrap().ends_with("::inc"));
    /// assert!(y.map(|v| v * 2).task().function_path().unwrap().ends_with("{{closure}}"));
    /// assert_eq!(y.task().deps().next().unwrap().function_path(), None); // the literal 1
    /// ```
    pub fn function_path(self) -> Option<&'static str> {
        self.0.op.function_path()
    }

    /// The [`TypeId`] of the function the task calls: unique to that fn item (or closure),
    /// where its [`function_path`](TaskRef::function_path) need not be (a fn nested in
    /// `fn shadow` has the path of a `fn twice` in `mod shadow`). `Some` exactly when
    /// `function_path` is; what a distributed scheduler checks a task's function by, once it
    /// has found a function by path.
    ///
    /// ```
    /// use std::any::TypeId;
    /// use lazydag_core::delayed;
    /// fn type_id_of<T: 'static>(_: &T) -> TypeId { TypeId::of::<T>() }
    /// fn inc(x: i32) -> i32 { x + 1 }
    /// fn dec(x: i32) -> i32 { x - 1 }
    /// let y = delayed!(inc(1));
    /// assert_eq!(y.task().function_type_id(), Some(type_id_of(&inc)));
    /// assert_ne!(y.task().function_type_id(), Some(type_id_of(&dec)));
    /// assert_eq!(y.task().deps().next().unwrap().function_type_id(), None); // the literal 1
    /// ```
    pub fn function_type_id(self) -> Option<TypeId> {
        self.function_path()?;
        self.0.op.identity().map(|id| id.type_id)
    }
}

impl fmt::Debug for TaskRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskRef({})", self.key())
    }
}

self_cell::self_cell!(
    /// A plan together with the handles that keep its graph alive.
    struct PlanCell {
        owner: Vec<Arc<Node>>,
        #[covariant]
        dependent: PlanView,
    }
);

/// A frozen execution plan, cheap to clone and `'static`, so a scheduler can hand it to
/// threads that outlive one call (a pool). It owns the output handles, which keep every
/// planned task alive; [`view`](Plan::view) borrows the plan itself.
///
/// ```
/// use lazydag_core::{delayed, Plan};
/// fn inc(x: i32) -> i32 { x + 1 }
/// let plan = Plan::new(&[delayed!(inc(1)).task()]);
/// let shared = plan.clone();
/// let n = std::thread::spawn(move || shared.view().len()).join().unwrap();
/// assert_eq!(n, 2); // the literal and `inc`
/// ```
#[derive(Clone)]
pub struct Plan(Arc<PlanCell>);

impl Plan {
    /// Plans the tasks needed to compute `outputs`, in the order given.
    ///
    /// Costs O(tasks + edges) time and memory, and no recursion.
    ///
    /// # Panics
    /// If the outputs need 2^32 tasks or more.
    pub fn new(outputs: &[TaskRef<'_>]) -> Plan {
        let owner: Vec<Arc<Node>> = outputs.iter().map(|task| Arc::clone(task.0)).collect();
        Plan(Arc::new(PlanCell::new(owner, |roots| {
            let roots: Vec<TaskRef<'_>> = roots.iter().map(TaskRef).collect();
            Collector::new(false, None).collect(&roots).plan.with_stop(Stop::default())
        })))
    }

    /// Plans the tasks needed to compute `outputs` and optimizes the plan with `optimizer`
    /// (fused chains become one task each; see [`PlanView::members`] and
    /// [`PlanView::report`]).
    ///
    /// ```
    /// use lazydag_core::{delayed, Plan};
    /// use lazydag_optimize::Optimizer;
    /// fn inc(x: i32) -> i32 { x + 1 }
    /// let tip = delayed!(inc(delayed!(inc(delayed!(inc(0))))));
    /// let plan = Plan::optimized(&[tip.task()], &Optimizer::default()).unwrap();
    /// let plan = plan.view();
    /// assert_eq!(plan.len(), 2); // the literal `0`, and one task that runs the three incs
    /// let top = plan.outputs()[0] as usize;
    /// assert_eq!(plan.members(top).len(), 3);
    /// assert_eq!(plan.report().unwrap().fused, 2);
    /// ```
    ///
    /// # Errors
    /// [`Error::NotClone`] when a value with several uses cannot be cloned.
    pub fn optimized(outputs: &[TaskRef<'_>], optimizer: &Optimizer) -> Result<Plan, Error> {
        Plan::build(outputs, Stop::default(), optimizer)
    }

    /// Plans `outputs` for a compute, under the caller's stop conditions and callbacks
    /// (resolved by [`Control`](crate::Control)): the plan is checked and optimized, then a
    /// timeout starts counting.
    pub(crate) fn for_compute(
        outputs: &[TaskRef<'_>],
        stop: Stop,
        optimizer: &Optimizer,
    ) -> Result<Plan, Error> {
        Plan::build(outputs, stop, optimizer)
    }

    /// Collects, checks and optimizes, then applies `stop`.
    fn build(outputs: &[TaskRef<'_>], stop: Stop, optimizer: &Optimizer) -> Result<Plan, Error> {
        let owner: Vec<Arc<Node>> = outputs.iter().map(|task| Arc::clone(task.0)).collect();
        let cell = PlanCell::try_new(owner, |roots| {
            let roots: Vec<TaskRef<'_>> = roots.iter().map(TaskRef).collect();
            let fuse = optimizer.is_enabled() && optimizer.fuses();
            let collector =
                Collector::new(optimizer.is_enabled(), fuse.then(|| optimizer.chain_limit()));
            let collected = collector.collect(&roots);
            if let Some(err) = collected.error {
                return Err(err);
            }
            collected.plan.check()?;
            let plan = match collected.facts {
                Some(facts) => {
                    let (plan, rebuilt) =
                        optimize::optimize(collected.plan, facts, optimizer, collected.prefused);
                    if rebuilt {
                        plan.check()?;
                    }
                    plan
                }
                None => collected.plan,
            };
            Ok::<_, Error>(plan.with_stop(stop))
        })?;
        Ok(Plan(Arc::new(cell)))
    }

    /// The plan's tasks, edges and operations.
    pub fn view(&self) -> &PlanView<'_> {
        self.0.borrow_dependent()
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}
