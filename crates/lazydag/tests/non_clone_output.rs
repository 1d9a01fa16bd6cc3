//! Outputs that are not `Clone` work when consumed once; used twice, they are a clear error.

use lazydag::Error;
use lazydag::prelude::*;

/// Not Clone: a resource-like value.
#[derive(Debug, PartialEq)]
struct Connection {
    id: u32,
}

fn open(id: u32) -> Connection {
    Connection { id }
}
fn query(c: Connection) -> String {
    format!("rows from {}", c.id)
}
fn close(c: Connection) -> u32 {
    c.id
}

#[test]
fn non_clone_value_consumed_once() {
    let conn = delayed!(open(3));
    let rows = delayed!(query(conn));
    assert_eq!(rows.compute().unwrap(), "rows from 3");
    // and as a final output
    assert_eq!(delayed!(open(4)).compute().unwrap(), Connection { id: 4 });
}

#[test]
fn non_clone_value_used_twice_is_a_clear_error() {
    let conn = delayed!(open(3));
    let rows = delayed!(query(&conn));
    let id = delayed!(close(&conn));
    let err = lazydag::compute((rows, id)).unwrap_err();
    match &err {
        Error::NotClone { task, uses, type_name } => {
            assert_eq!(task, &conn.key());
            assert_eq!(*uses, 2);
            assert!(type_name.ends_with("Connection"));
        }
        other => panic!("expected NotClone, got {other:?}"),
    }
    assert!(err.to_string().contains("Arc"));
}

#[test]
fn arc_makes_a_shared_value_cheap() {
    use std::sync::Arc;
    fn open_shared(id: u32) -> Arc<Connection> {
        Arc::new(Connection { id })
    }
    fn id_of(c: Arc<Connection>) -> u32 {
        c.id
    }
    let conn = delayed!(open_shared(5));
    let a = delayed!(id_of(&conn));
    let b = delayed!(id_of(&conn));
    assert_eq!(lazydag::compute((a, b)).unwrap(), (5, 5));
}
