//! The catalogue: every id a clause of the compiler's catalogue, unique and in order, and every
//! item that does not apply justified.

use super::*;
use std::collections::BTreeSet;

/// Every id this module uses, with its framework.
fn every_id() -> Vec<(&'static str, &'static str)> {
    let mut ids: Vec<(&str, &str)> = GSPRS.iter().map(|g| ("mdr", g.id)).collect();
    for s in ANNEX_II {
        ids.push(("mdr", s.id));
        ids.extend(s.items.iter().map(|i| ("mdr", i.id)));
    }
    ids.extend(ANNEX_III.iter().map(|p| ("mdr", p.id)));
    for item in ANNEX_IV {
        ids.push(("ai_act", item.id));
        ids.extend(
            item.points
                .iter()
                .filter_map(|p| p.id)
                .map(|id| ("ai_act", id)),
        );
    }
    ids
}

#[test]
fn every_id_is_a_clause_of_the_compiler_catalogue() {
    for (framework, id) in every_id() {
        let c = clause(framework, id);
        assert!(
            c.is_some(),
            "{framework} `{id}` is not in compiler/src/frameworks.rs"
        );
        assert!(!title(framework, id).is_empty(), "{id}");
    }
    assert_eq!(
        gspr("Annex I 17.1").map(Gspr::title),
        clause("mdr", "Annex I 17.1").map(|c| c.title)
    );
    assert_eq!(title("mdr", "Annex I 99"), "");
}

#[test]
fn ids_are_unique() {
    let mut seen = BTreeSet::new();
    for id in every_id() {
        assert!(seen.insert(id), "duplicate {id:?}");
    }
}

#[test]
fn gsprs_cover_sections_1_to_23_in_order() {
    let sections: Vec<u32> = GSPRS
        .iter()
        .filter_map(|g| g.id.strip_prefix("Annex I ")?.parse().ok())
        .collect();
    assert_eq!(sections, (1..=23).collect::<Vec<_>>());
    for g in GSPRS {
        let n: u32 =
            g.id.trim_start_matches("Annex I ")
                .split(['.', '('])
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        let chapter = match n {
            1..=9 => Chapter::General,
            10..=22 => Chapter::DesignAndManufacture,
            _ => Chapter::Information,
        };
        assert_eq!(g.chapter, chapter, "{}", g.id);
    }
    for id in [
        "Annex I 14.2(d)",
        "Annex I 15.1",
        "Annex I 17.1",
        "Annex I 17.2",
        "Annex I 17.3",
        "Annex I 17.4",
        "Annex I 18.8",
        "Annex I 23.4",
    ] {
        assert!(gspr(id).is_some(), "{id}");
    }
}

#[test]
fn applicability_is_justified_and_assessed() {
    for g in GSPRS {
        match (g.applicable, g.justification) {
            (false, Some(why)) => assert!(why.trim().len() > 20, "{}", g.id),
            (false, None) => panic!("{} does not apply but says not why", g.id),
            (true, Some(_)) => panic!("{} applies yet has a justification", g.id),
            (true, None) => {}
        }
        if g.applicable && !g.heading {
            assert!(!g.methods.is_empty(), "{} has no method", g.id);
            assert!(!g.standards.is_empty(), "{} has no standard", g.id);
        } else {
            assert!(g.methods.is_empty() && g.standards.is_empty(), "{}", g.id);
        }
    }
    for s in ANNEX_II {
        for i in s.items {
            assert_eq!(i.applicable, i.justification.is_none(), "{}", i.id);
            if let Some(why) = i.justification {
                assert!(why.trim().len() > 20, "{}", i.id);
            }
        }
    }
    // The software GSPRs apply; sterility, radiation and implants do not.
    for id in [
        "Annex I 14.2(d)",
        "Annex I 15.1",
        "Annex I 17.2",
        "Annex I 17.4",
    ] {
        assert_eq!(gspr(id).map(|g| g.applicable), Some(true), "{id}");
    }
    for id in ["Annex I 11", "Annex I 16", "Annex I 19", "Annex I 23.3"] {
        assert_eq!(gspr(id).map(|g| g.applicable), Some(false), "{id}");
    }
}

#[test]
fn headings_are_followed_by_their_sub_items() {
    for (i, g) in GSPRS.iter().enumerate() {
        let subs: Vec<&Gspr> = GSPRS[i + 1..]
            .iter()
            .take_while(|s| {
                s.id.strip_prefix(g.id)
                    .is_some_and(|r| r.starts_with('.') || r.starts_with('('))
            })
            .collect();
        assert_eq!(
            g.heading,
            !subs.is_empty() && g.id != "Annex I 23.1" && g.id != "Annex I 23.4",
            "{}",
            g.id
        );
        if g.heading {
            assert_eq!(g.applicable, subs.iter().any(|s| s.applicable), "{}", g.id);
        }
    }
}

#[test]
fn annex_ii_has_sections_1_to_6() {
    let numbers: Vec<u8> = ANNEX_II.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
    for s in ANNEX_II {
        assert_eq!(s.id, format!("Annex II {}", s.number));
        assert!(!s.items.is_empty(), "{}", s.id);
        for i in s.items {
            let rest = i.id.strip_prefix(s.id).unwrap_or("");
            assert!(
                rest.starts_with('.') || rest.starts_with('('),
                "{} in {}",
                i.id,
                s.id
            );
        }
    }
    let letters = |prefix: &str| {
        ANNEX_II
            .iter()
            .flat_map(|s| s.items)
            .filter(|i| i.id.starts_with(prefix) && i.id.len() > prefix.len())
            .count()
    };
    assert_eq!(letters("Annex II 1.1("), 12, "1.1(a) to (l)");
    assert_eq!(letters("Annex II 4("), 4, "4(a) to (d)");
    assert_eq!(letters("Annex II 6.2("), 7, "6.2(a) to (g)");
}

#[test]
fn annex_iii_covers_the_pms_plan_and_reports() {
    let ids: Vec<&str> = ANNEX_III.iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        ["Annex III 1.1(a)", "Annex III 1.1(b)", "Annex III 1.2"]
    );
    assert_eq!(ANNEX_III[0].elements.len(), 6);
    assert_eq!(ANNEX_III[1].elements.len(), 10);
    assert!(ANNEX_III[1].elements[9].contains("PMCF"));
}

#[test]
fn annex_iv_has_exactly_items_1_to_9() {
    let numbers: Vec<u8> = ANNEX_IV.iter().map(|i| i.number).collect();
    assert_eq!(numbers, (1..=9).collect::<Vec<u8>>());
    for item in ANNEX_IV {
        assert_eq!(item.id, format!("Annex IV {}", item.number));
        assert!(!item.points.is_empty(), "{}", item.id);
        for p in item.points {
            assert!(p.requires.ends_with('.'), "{}: {}", item.id, p.requires);
            if let Some(id) = p.id {
                assert!(id.starts_with(&format!("{}(", item.id)), "{id}");
            }
        }
    }
    let lettered = |n: usize| ANNEX_IV[n].points.iter().filter(|p| p.id.is_some()).count();
    assert_eq!((lettered(0), lettered(1)), (8, 8), "1(a)-(h) and 2(a)-(h)");
}

#[test]
fn the_standard_library_cites_only_gsprs_of_the_catalogue() {
    for file in clic_compiler::stdlib::FILES {
        for (at, _) in file.text.match_indices("mdr \"Annex I ") {
            let rest = &file.text[at + 5..];
            let id = rest.split('"').next().unwrap_or("");
            assert!(
                gspr(id).is_some(),
                "{}: `{id}` is not a GSPR of the catalogue",
                file.path
            );
        }
    }
}

#[test]
fn every_fill_row_names_items_of_the_catalogue() {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for s in ANNEX_II {
        ids.insert(s.id.replace(' ', ""));
        ids.extend(s.items.iter().map(|i| i.id.replace(' ', "")));
    }
    ids.extend(ANNEX_III.iter().map(|p| p.id.replace(' ', "")));
    for row in fills::ANNEX_II_FILLS {
        for i in row.items {
            assert!(ids.contains(&format!("AnnexII{i}")), "Annex II {i}");
        }
    }
    for row in fills::ANNEX_III_FILLS {
        for i in row.items {
            assert!(ids.contains(&format!("AnnexIII{i}")), "Annex III {i}");
        }
    }
    for row in fills::ANNEX_IV_FILLS {
        for i in row.items {
            assert!(
                ANNEX_IV.iter().any(|item| item.number.to_string() == *i),
                "Annex IV {i}"
            );
        }
    }
}
