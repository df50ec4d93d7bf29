// A reproducible synthetic directory: people, groups and realistic memberships, the same on every run for a given size.
import type { Person } from './scim.ts';

export interface SyntheticDirectory {
  people: Person[];
  groups: string[];
  /** For each group, the indexes of its members in `people`. */
  members: number[][];
  memberships: number;
}

const GIVEN = ['Ada', 'Brook', 'Chen', 'Dana', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya'];
const FAMILY = [
  'Andersen',
  'Baptiste',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Moreau',
  'Nakamura',
];
/** Extra (team, project, app) groups per person beyond their department: 0 to 3, 1.5 on average. */
const MAX_EXTRA_GROUPS = 3;

/** mulberry32: a tiny seeded generator, so every run pushes the same directory. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf(1) over `count` ranks: a few big teams and a long tail of small ones, as real directories have. */
function zipfPicker(count: number, next: () => number): () => number {
  const weights = Array.from({ length: count }, (_, rank) => 1 / (rank + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = weights.map(
    (
      (sum) => (w: number) =>
        (sum += w / total)
    )(0),
  );
  return () => {
    const r = next();
    const index = cumulative.findIndex((c) => r <= c);
    return index === -1 ? count - 1 : index;
  };
}

/**
 * Every person is in one department (a quarter of the groups, evenly sized) and in 0–3 other groups drawn with
 * Zipf weights, so group sizes range from a large "all engineering"-like team down to a handful of people.
 */
export function makeDirectory(userCount: number, groupCount: number, seed = 7): SyntheticDirectory {
  const next = random(seed);
  const departments = Math.max(1, Math.round(groupCount / 4));
  const teams = groupCount - departments;
  const pickTeam = zipfPicker(Math.max(1, teams), next);
  const groups = [...Array.from({ length: departments }, (_, i) => `Department ${i + 1}`), ...Array.from({ length: teams }, (_, i) => `Team ${i + 1}`)];
  const members: number[][] = groups.map(() => []);
  const people: Person[] = [];
  for (let i = 0; i < userCount; i++) {
    const givenName = GIVEN[i % GIVEN.length];
    const familyName = `${FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]}-${i}`;
    people.push({
      userName: `${givenName}.${familyName}@bench.example.com`.toLowerCase(),
      givenName,
      familyName,
      externalId: `00u${String(i).padStart(8, '0')}`,
    });
    members[i % departments].push(i);
    const extra = teams > 0 ? Math.floor(next() * (MAX_EXTRA_GROUPS + 1)) : 0;
    const chosen = new Set<number>();
    for (let tries = 0; chosen.size < extra && tries < 20; tries++) chosen.add(pickTeam());
    for (const team of chosen) members[departments + team].push(i);
  }
  return { people, groups, members, memberships: members.reduce((n, m) => n + m.length, 0) };
}
