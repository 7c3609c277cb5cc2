//! The conformance suite every [`CrmStore`](crate::CrmStore) adapter must pass.
//!
//! Each case is a public function; [`conformance_tests!`](crate::conformance_tests) expands
//! them into one `#[test]` per case inside an adapter crate:
//!
//! ```text
//! callreg_core::conformance_tests!(callreg_store_memory::MemoryStore::new());
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod atomicity;
pub mod faults;
pub mod integrity;
pub mod kit;
pub mod lifecycle;
pub mod properties;
pub mod records;
pub mod register;
pub mod suffix;

/// Expands the whole conformance suite into `#[test]` functions, building each case's store
/// with the given expression (evaluated once per store needed).
#[macro_export]
macro_rules! conformance_tests {
    ($make_store:expr) => {
        $crate::__conformance_register_cases!($make_store);
        $crate::__conformance_property_cases!($make_store);
        $crate::__conformance_lifecycle_cases!($make_store);
        $crate::__conformance_records_cases!($make_store);
        $crate::__conformance_atomicity_cases!($make_store);
        $crate::__conformance_suffix_cases!($make_store);
    };
}

/// Expands the cases of one conformance module into a test module. Cases of the
/// `properties` kind take a store constructor; the others take a store.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_module {
    (store $module:ident, $make_store:expr, [$($case:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    $crate::conformance::$module::$case($make_store);
                }
            )*
        }
    };
    (constructor $module:ident, $make_store:expr, [$($case:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    $crate::conformance::$module::$case(&|| $make_store);
                }
            )*
        }
    };
}
