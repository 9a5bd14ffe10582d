//! `coded_enum!`: one declaration gives an enum its stable number, its
//! SCREAMING_SNAKE name, lookups both ways, and a `NAME(number)` display.
//!
//! Enums declared `wire = name` travel as their name on the wire and also
//! accept their number when decoding, so a client may send either.

macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident, wire = $wire:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $text:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name { $( $(#[$vmeta])* $variant, )+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable number of this value.
            pub fn code(self) -> u32 {
                match self { $($name::$variant => $code,)+ }
            }

            /// The value with this number, if any.
            pub fn from_code(n: u32) -> Option<Self> {
                match n { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The SCREAMING_SNAKE name used on the wire, in documents and in snapshots.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The value with this name, if any.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", self.name(), self.code())
            }
        }

        coded_enum!(@serde $wire $name);
    };

    (@serde name $name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(serde::Deserialize)]
                #[serde(untagged)]
                enum NameOrCode<'a> {
                    Name(std::borrow::Cow<'a, str>),
                    Code(u32),
                }
                let found = match NameOrCode::deserialize(d)? {
                    NameOrCode::Name(n) => $name::from_name(&n),
                    NameOrCode::Code(c) => $name::from_code(c),
                };
                found.ok_or_else(|| {
                    serde::de::Error::custom(concat!("unknown ", stringify!($name), " value"))
                })
            }
        }
    };

    (@serde none $name:ident) => {};
}

pub(crate) use coded_enum;
