use crate::expand::dump;
