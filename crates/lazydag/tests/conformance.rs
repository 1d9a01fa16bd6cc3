//! Every built-in scheduler keeps the `Scheduler` contract: the conformance suite
//! (`lazydag::conformance`), once per scheduler.

mod sequential {
    use lazydag::conformance::Runs;
    lazydag::scheduler_conformance!(Runs::OnCaller, lazydag::scheduler::Sequential);
}

mod threaded {
    use lazydag::conformance::Runs;
    lazydag::scheduler_conformance!(Runs::OnPool, lazydag::scheduler::Threaded::new(2));
}

mod work_stealing {
    use lazydag::conformance::Runs;
    lazydag::scheduler_conformance!(Runs::OnPool, lazydag::scheduler::WorkStealing::new(2));
}

mod asynchronous {
    use lazydag::conformance::Runs;
    lazydag::scheduler_conformance!(Runs::OnPool, lazydag::scheduler::Async::new(2));
}
