/**
 * Writes the drift benchmark's inputs: reference and current CSVs of `rows` × 20 columns (11
 * numerical, 9 categorical), current shifted in some columns and with more missing values in one.
 * DuckDB generates them (seeded, single-threaded so the files are reproducible) in seconds.
 */
import { DuckDBInstance } from '@duckdb/node-api';

/** N(μ, σ) by Box–Muller from DuckDB's uniform random(). */
const normal = (mu: number, sigma: number) =>
  `(${mu} + ${sigma} * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))`;

function columnsSql(shifted: boolean): string[] {
  const s = shifted ? 1 : 0;
  return [
    `round(${normal(0, 1)}, 4) AS f_normal`,
    `round(${normal(0.05 * s, 1)}, 4) AS f_normal_shift`,
    `round(exp(${normal(3, 0.5 + 0.1 * s)}), 3) AS f_lognormal`,
    `round(random() * 100, 3) AS f_uniform`,
    `round(${normal(50, 10)}, 2) AS f_score`,
    `round(-ln(1 - random()) * ${shifted ? 3 : 2}, 4) AS f_exponential`,
    `CASE WHEN random() < ${shifted ? 0.2 : 0.02} THEN NULL ELSE round(${normal(100, 15)}, 2) END AS f_with_missing`,
    `round(${normal(0, 1)} * ${normal(0, 1)}, 4) AS f_product`,
    `round(random() * random() * 1000, 2) AS f_skewed`,
    `round(${normal(-5, 3)}, 3) AS f_negative`,
    `CAST(floor(random() * 100000) AS BIGINT) AS i_wide`,
    `CAST(1 + floor(random() * 5) AS BIGINT) AS i_rating`,
    `'seg_' || CAST(floor(random() * 5) AS INTEGER) AS c_segment`,
    `'reg_' || CAST(floor(random() * ${shifted ? 12 : 10}) AS INTEGER) AS c_region`,
    `'city_' || CAST(floor(random() * 1000) AS INTEGER) AS c_city`,
    `CASE WHEN random() < ${shifted ? 0.6 : 0.5} THEN 'mobile' ELSE 'desktop' END AS c_device`,
    `random() < 0.3 AS c_flag`,
    `'plan_' || CAST(floor(pow(random(), ${shifted ? 2 : 1}) * 4) AS INTEGER) AS c_plan`,
    `'src_' || CAST(floor(random() * 50) AS INTEGER) AS c_source`,
    `CASE WHEN random() < 0.1 THEN NULL ELSE 'lang_' || CAST(floor(random() * 20) AS INTEGER) END AS c_language`,
  ];
}

export async function writeBenchCsvs(
  dir: string,
  rows: number,
): Promise<{ reference: string; current: string }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const db = await instance.connect();
  try {
    const paths = { reference: `${dir}/reference.csv`, current: `${dir}/current.csv` };
    for (const [k, side] of (['reference', 'current'] as const).entries()) {
      await db.run(`SELECT setseed(${0.1 + k * 0.2})`);
      await db.run(
        `COPY (SELECT ${columnsSql(side === 'current').join(', ')} FROM range(${rows})) TO '${paths[side]}' (HEADER, DELIMITER ',')`,
      );
    }
    return paths;
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}
