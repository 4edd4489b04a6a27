//! `weike bench geo`: being written (see the next commit).

use crate::bench::delivery::BenchDb;

pub struct GeoBench {
    pub venues: i64,
    pub activities: i64,
    pub members: i64,
    pub migrant_every: i64,
    pub database: BenchDb,
    pub queries: usize,
}

pub struct GeoFigures;

impl GeoFigures {
    pub fn table(&self, _bench: &GeoBench) -> String {
        String::new()
    }
}

pub async fn run(_bench: &GeoBench, _progress: impl Fn(&str)) -> anyhow::Result<GeoFigures> {
    anyhow::bail!("weike bench geo is not built yet")
}
