//! Regions (ISO 3166-1 alpha-2 codes) the number metadata knows.

use phonenumber::country::Id;
use std::fmt;
use std::str::FromStr;

/// An ISO 3166-1 alpha-2 region the number parser knows (wraps `phonenumber::country::Id`).
///
/// Only regions with metadata can be built, so every region has a calling code. `Display`
/// and [`Region::as_str`] give the upper-case code (`"RU"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    id: Id,
    code: &'static str,
    calling_code: u16,
}

/// A region code that is not a known region ([`Region::parse`]).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("unknown region code {0:?}")]
pub struct UnknownRegion(pub String);

impl Region {
    /// Russia (calling code 7), the default region of a Russian Bitrix24 portal.
    pub const RU: Region = Region { id: Id::RU, code: "RU", calling_code: 7 };
    /// Kazakhstan (calling code 7, shares Russia's numbering plan).
    pub const KZ: Region = Region { id: Id::KZ, code: "KZ", calling_code: 7 };
    /// Belarus (calling code 375).
    pub const BY: Region = Region { id: Id::BY, code: "BY", calling_code: 375 };
    /// Germany (calling code 49).
    pub const DE: Region = Region { id: Id::DE, code: "DE", calling_code: 49 };
    /// United States (calling code 1).
    pub const US: Region = Region { id: Id::US, code: "US", calling_code: 1 };

    /// The region of a two-letter code, in any case (`"ru"`, `"RU"`).
    pub fn parse(code: &str) -> Result<Region, UnknownRegion> {
        let unknown = || UnknownRegion(code.to_owned());
        let upper = code.to_ascii_uppercase();
        let index =
            REGIONS.binary_search_by(|(c, _)| (*c).cmp(upper.as_str())).map_err(|_| unknown())?;
        let (code, calling_code) = REGIONS[index];
        let id = Id::from_str(code).map_err(|_| unknown())?;
        Ok(Region { id, code, calling_code })
    }

    /// The upper-case two-letter code (`"RU"`).
    pub fn as_str(&self) -> &'static str {
        self.code
    }

    /// The country calling code (`7` for RU and KZ, `49` for DE, `1` for US).
    pub fn calling_code(&self) -> u16 {
        self.calling_code
    }

    /// The `phonenumber` crate's identifier of this region.
    pub fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.code)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::parse(s)
    }
}

impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> serde::Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Region::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Every region of the `phonenumber` metadata (0.3.10, libphonenumber 9.0.33) with its calling
/// code, sorted by code. A unit test checks it against the metadata.
#[rustfmt::skip]
const REGIONS: &[(&str, u16)] = &[
("AC", 247), ("AD", 376), ("AE", 971), ("AF", 93), ("AG", 1), ("AI", 1), ("AL", 355), ("AM", 374),
("AO", 244), ("AR", 54), ("AS", 1), ("AT", 43), ("AU", 61), ("AW", 297), ("AX", 358), ("AZ", 994),
("BA", 387), ("BB", 1), ("BD", 880), ("BE", 32), ("BF", 226), ("BG", 359), ("BH", 973), ("BI", 257),
("BJ", 229), ("BL", 590), ("BM", 1), ("BN", 673), ("BO", 591), ("BQ", 599), ("BR", 55), ("BS", 1),
("BT", 975), ("BW", 267), ("BY", 375), ("BZ", 501), ("CA", 1), ("CC", 61), ("CD", 243), ("CF", 236),
("CG", 242), ("CH", 41), ("CI", 225), ("CK", 682), ("CL", 56), ("CM", 237), ("CN", 86), ("CO", 57),
("CR", 506), ("CU", 53), ("CV", 238), ("CW", 599), ("CX", 61), ("CY", 357), ("CZ", 420), ("DE", 49),
("DJ", 253), ("DK", 45), ("DM", 1), ("DO", 1), ("DZ", 213), ("EC", 593), ("EE", 372), ("EG", 20),
("EH", 212), ("ER", 291), ("ES", 34), ("ET", 251), ("FI", 358), ("FJ", 679), ("FK", 500), ("FM", 691),
("FO", 298), ("FR", 33), ("GA", 241), ("GB", 44), ("GD", 1), ("GE", 995), ("GF", 594), ("GG", 44),
("GH", 233), ("GI", 350), ("GL", 299), ("GM", 220), ("GN", 224), ("GP", 590), ("GQ", 240), ("GR", 30),
("GT", 502), ("GU", 1), ("GW", 245), ("GY", 592), ("HK", 852), ("HN", 504), ("HR", 385), ("HT", 509),
("HU", 36), ("ID", 62), ("IE", 353), ("IL", 972), ("IM", 44), ("IN", 91), ("IO", 246), ("IQ", 964),
("IR", 98), ("IS", 354), ("IT", 39), ("JE", 44), ("JM", 1), ("JO", 962), ("JP", 81), ("KE", 254),
("KG", 996), ("KH", 855), ("KI", 686), ("KM", 269), ("KN", 1), ("KP", 850), ("KR", 82), ("KW", 965),
("KY", 1), ("KZ", 7), ("LA", 856), ("LB", 961), ("LC", 1), ("LI", 423), ("LK", 94), ("LR", 231),
("LS", 266), ("LT", 370), ("LU", 352), ("LV", 371), ("LY", 218), ("MA", 212), ("MC", 377), ("MD", 373),
("ME", 382), ("MF", 590), ("MG", 261), ("MH", 692), ("MK", 389), ("ML", 223), ("MM", 95), ("MN", 976),
("MO", 853), ("MP", 1), ("MQ", 596), ("MR", 222), ("MS", 1), ("MT", 356), ("MU", 230), ("MV", 960),
("MW", 265), ("MX", 52), ("MY", 60), ("MZ", 258), ("NA", 264), ("NC", 687), ("NE", 227), ("NF", 672),
("NG", 234), ("NI", 505), ("NL", 31), ("NO", 47), ("NP", 977), ("NR", 674), ("NU", 683), ("NZ", 64),
("OM", 968), ("PA", 507), ("PE", 51), ("PF", 689), ("PG", 675), ("PH", 63), ("PK", 92), ("PL", 48),
("PM", 508), ("PR", 1), ("PS", 970), ("PT", 351), ("PW", 680), ("PY", 595), ("QA", 974), ("RE", 262),
("RO", 40), ("RS", 381), ("RU", 7), ("RW", 250), ("SA", 966), ("SB", 677), ("SC", 248), ("SD", 249),
("SE", 46), ("SG", 65), ("SH", 290), ("SI", 386), ("SJ", 47), ("SK", 421), ("SL", 232), ("SM", 378),
("SN", 221), ("SO", 252), ("SR", 597), ("SS", 211), ("ST", 239), ("SV", 503), ("SX", 1), ("SY", 963),
("SZ", 268), ("TA", 290), ("TC", 1), ("TD", 235), ("TG", 228), ("TH", 66), ("TJ", 992), ("TK", 690),
("TL", 670), ("TM", 993), ("TN", 216), ("TO", 676), ("TR", 90), ("TT", 1), ("TV", 688), ("TW", 886),
("TZ", 255), ("UA", 380), ("UG", 256), ("US", 1), ("UY", 598), ("UZ", 998), ("VA", 39), ("VC", 1),
("VE", 58), ("VG", 1), ("VI", 1), ("VN", 84), ("VU", 678), ("WF", 681), ("WS", 685), ("XK", 383),
("YE", 967), ("YT", 262), ("ZA", 27), ("ZM", 260), ("ZW", 263),
];

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use phonenumber::metadata::DATABASE;

    #[test]
    fn parse_is_case_insensitive() {
        assert_eq!(Region::parse("ru"), Ok(Region::RU));
        assert_eq!(Region::parse("Ru"), Ok(Region::RU));
        assert_eq!("DE".parse::<Region>(), Ok(Region::DE));
        assert_eq!(Region::parse("RU").map(|r| r.calling_code()), Ok(7));
        assert_eq!(Region::RU.to_string(), "RU");
        assert_eq!(format!("{:?}", Region::BY), "Region(BY)");
    }

    #[test]
    fn unknown_codes_are_refused() {
        for code in ["", "R", "RUS", "ZZ", "001", "EU", "р"] {
            assert_eq!(Region::parse(code), Err(UnknownRegion(code.to_owned())), "{code:?}");
        }
        assert_eq!(UnknownRegion("ZZ".into()).to_string(), "unknown region code \"ZZ\"");
    }

    #[test]
    fn constants_agree_with_the_table() {
        for region in [Region::RU, Region::KZ, Region::BY, Region::DE, Region::US] {
            assert_eq!(Region::parse(region.as_str()), Ok(region));
        }
    }

    #[test]
    fn table_matches_the_metadata() {
        assert!(REGIONS.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
        let mut from_metadata: Vec<(String, u16)> = DATABASE
            .iter()
            .filter(|m| m.id() != "001")
            .map(|m| (m.id().to_owned(), m.country_code()))
            .collect();
        from_metadata.sort();
        let table: Vec<(String, u16)> =
            REGIONS.iter().map(|(c, cc)| ((*c).to_owned(), *cc)).collect();
        assert_eq!(table, from_metadata);
        for (code, _) in REGIONS {
            let region = Region::parse(code).expect("every table entry is a phonenumber Id");
            assert_eq!(region.id().as_ref(), *code);
        }
    }
}
