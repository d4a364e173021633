//! A person's avatar: their initials on a colour that follows from their
//! user id, so everyone sees the same person in the same colour, on the
//! server's render and the browser's alike. It is decoration beside a name
//! that is always written out, so screen readers skip it.

use leptos::prelude::*;

/// Dark enough for white initials (at least 4.5:1) and fixed values, so
/// the dark theme's swapped palette leaves them alone.
const COLOURS: [&str; 12] = [
    "bg-[#b91c1c]",
    "bg-[#c2410c]",
    "bg-[#a16207]",
    "bg-[#15803d]",
    "bg-[#0f766e]",
    "bg-[#0369a1]",
    "bg-[#1d4ed8]",
    "bg-[#4338ca]",
    "bg-[#6d28d9]",
    "bg-[#a21caf]",
    "bg-[#be185d]",
    "bg-[#475569]",
];

/// One person's colour.
fn colour(user_id: i64) -> &'static str {
    // Spread neighbouring ids (people who joined together) over the wheel.
    COLOURS[(user_id.wrapping_mul(7)).rem_euclid(COLOURS.len() as i64) as usize]
}

/// Up to two letters: the first of the name and of its second part
/// (`ada.lovelace` → `AL`), else just the first.
pub fn initials(username: &str) -> String {
    let mut parts = username
        .split(['.', '_', '-', ' '])
        .filter_map(|part| part.chars().next());
    let first = parts.next();
    let second = parts.next();
    first
        .into_iter()
        .chain(second)
        .flat_map(char::to_uppercase)
        .collect()
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum Size {
    /// Beside a message.
    #[default]
    Medium,
    /// In a list of people.
    Small,
}

#[component]
pub fn Avatar(
    user_id: i64,
    #[prop(into)] username: String,
    #[prop(optional)] size: Size,
) -> impl IntoView {
    let size = match size {
        Size::Medium => "h-9 w-9 text-sm",
        Size::Small => "h-6 w-6 text-[0.625rem]",
    };
    view! {
        <span
            aria-hidden="true"
            class=format!(
                "inline-flex shrink-0 select-none items-center justify-center rounded-lg font-semibold text-white {size} {}",
                colour(user_id),
            )
        >
            {initials(&username)}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_letter_of_up_to_two_parts() {
        assert_eq!(initials("ada.lovelace"), "AL");
        assert_eq!(initials("grace_hopper_x"), "GH");
        assert_eq!(initials("linus"), "L");
        assert_eq!(initials("émile"), "É");
        assert_eq!(initials(""), "");
    }

    #[test]
    fn a_person_keeps_one_colour_and_neighbours_differ() {
        assert_eq!(colour(42), colour(42));
        for id in 1..30 {
            assert_ne!(colour(id), colour(id + 1));
        }
    }
}
