//! View pieces every feature uses: status badges, times and sizes, the not-found answer, the
//! error of a form posted without JavaScript, and filter links.

mod filter_link;
mod form_error;
mod format;
mod not_found;
mod status;

pub use filter_link::FilterLink;
pub use form_error::{FormError, ProblemNote};
pub use format::{age, duration, when};
pub use not_found::{not_found, NotFound};
pub use status::StatusBadge;
