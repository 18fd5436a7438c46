/**
 * One schema change. Migrations are TypeScript modules (not .sql files) so `tsc` ships them in
 * dist/ without a copy step. Each statement runs on its own: Drizzle sends queries with the
 * extended protocol, which takes one statement per query on both PGlite and PostgreSQL.
 * A migration that has been released is never edited; changes go in a new one.
 */
export interface Migration {
  /** Applied in ascending order; recorded in lapis_migrations. */
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}
