// The seeded workload: rounds of IdP intents (joiners, group pushes, edits, leavers, returners, DELETEs, re-creates, group deletes).
import { between, pick, sample, seededRandom, type Random } from '../support/seeded-random.ts';
import { IntendedDirectory, type Dialect, type Intent, type IntendedPerson, type Profile } from './directory-model.ts';

export interface WorkloadSize {
  people: number;
  groups: number;
  /** Rounds of edits, leavers, returners, DELETEs and re-creates after everyone has joined. */
  churnRounds: number;
  /** Lifecycle changes per churn round, each on a different person. */
  lifecyclePerRound: number;
  /** Groups whose members change per round. */
  memberChangesPerRound: number;
  /** Groups DELETEd, one per round in the last churn rounds. */
  groupDeletes: number;
}

export const DEFAULT_SIZE: WorkloadSize = { people: 300, groups: 30, churnRounds: 10, lifecyclePerRound: 45, memberChangesPerRound: 16, groupDeletes: 4 };

export interface Workload {
  seed: number;
  /** Rounds run one after another; the intents of one round run concurrently. */
  rounds: Intent[][];
  /** The directory once every intent has been applied. */
  intended: IntendedDirectory;
}

/** The IdP group that stands for Metabase's Administrators (config groupMappings). */
export const ADMIN_GROUP = { key: 'admins', name: 'bi-admins', target: 'Administrators' } as const;

const GIVEN = [
  'Ada',
  'Bea',
  'Caio',
  'Dana',
  'Emeka',
  'Farah',
  'Goran',
  'Hana',
  'Ines',
  'Jonas',
  'Kira',
  'Luis',
  'Mei',
  'Nils',
  'Olu',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tomas',
  'Uma',
  'Vera',
  'Wen',
  'Yusuf',
  'Zoe',
];
const FAMILY = [
  'Abe',
  'Berg',
  'Costa',
  'Diallo',
  'Eriksen',
  'Fujita',
  'Garcia',
  'Haddad',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Lee',
  'Mensah',
  'Novak',
  'Okafor',
  'Park',
  'Quispe',
  'Rossi',
  'Silva',
  'Tanaka',
  'Ueda',
  'Varga',
  'Weber',
  'Xu',
  'Young',
];
const TEAMS = ['Finance', 'Marketing', 'Sales', 'Support', 'Data', 'Product', 'Legal', 'People', 'Ops', 'Security'];
/** Okta catalog and Entra default are the common set-ups; the wizard and the 2020 flag less so. */
const DIALECTS: Dialect[] = [
  'okta-catalog',
  'okta-catalog',
  'okta-catalog',
  'okta-wizard',
  'entra-default',
  'entra-default',
  'entra-default',
  'entra-opt',
  'entra-opt',
];

function profileFor(index: number, random: Random): Profile {
  const givenName = pick(random, GIVEN);
  const familyName = pick(random, FAMILY);
  return { email: `${givenName}.${familyName}.${index}@northwind.example`.toLowerCase(), givenName, familyName };
}

/** A profile edit as IdPs push them: a new family name, a preferred given name, sometimes a new login email with it. */
/** An administrator's login email is not changed through SCIM (403, README "Protected principals"): admins keep theirs. */
function editedProfile(profile: Profile, random: Random, serial: number, keepEmail: boolean): Profile {
  const roll = random();
  if (roll < 0.4) return { ...profile, familyName: `${pick(random, FAMILY)}-${profile.familyName}`.slice(0, 40) };
  if (roll < 0.8 || keepEmail) return { ...profile, givenName: pick(random, GIVEN) };
  const familyName = pick(random, FAMILY);
  return { ...profile, familyName, email: `${profile.givenName}.${familyName}.e${serial}@northwind.example`.toLowerCase() };
}

class Generator {
  readonly intended = new IntendedDirectory();
  readonly rounds: Intent[][] = [];
  private readonly random: Random;
  private serial = 0;
  /** People edited while deactivated: bi-scim holds those edits until they come back. */
  private readonly editedWhileAway = new Set<string>();

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  /** Applies each intent to the intended directory as it is emitted, so later choices see its effect. */
  round(intents: Intent[]): void {
    intents.forEach((intent) => this.intended.apply(intent));
    if (intents.length > 0) this.rounds.push(intents);
  }

  groups(count: number): Intent[] {
    const intents: Intent[] = [];
    const add = (key: string, name: string, dialect: Dialect, mappedTo: string | null) => {
      this.intended.register({ key, name, dialect, externalId: `grp-${key}`, members: new Set(), deleted: false, mappedTo });
      intents.push({ kind: 'create-group', group: key });
    };
    add(ADMIN_GROUP.key, ADMIN_GROUP.name, 'okta-catalog', ADMIN_GROUP.target);
    for (let i = 0; i < count; i++) add(`g${String(i).padStart(2, '0')}`, `${TEAMS[i % TEAMS.length]} Team ${i}`, pick(this.random, DIALECTS), null);
    return intents;
  }

  joiners(from: number, to: number): Intent[] {
    const intents: Intent[] = [];
    for (let i = from; i < to; i++) {
      const key = `p${String(i).padStart(3, '0')}`;
      const profile = profileFor(i, this.random);
      this.intended.register({ key, dialect: pick(this.random, DIALECTS), externalId: `ext-${key}`, profile, active: true, deleted: false });
      intents.push({ kind: 'create-person', person: key, profile });
    }
    return intents;
  }

  /**
   * One churn round's lifecycle changes, each on a different person, by quota: leavers (a third of them admins, so
   * returning admins are common), edits to active and to deactivated people, returners, Entra DELETEs and re-creates.
   */
  lifecycle(perRound: number, busy: Set<string>): Intent[] {
    const people = [...this.intended.people.values()];
    const admins = this.intended.group(ADMIN_GROUP.key).members;
    const take = (pool: IntendedPerson[], share: number) => {
      const chosen = sample(
        this.random,
        pool.filter((p) => !busy.has(p.key)),
        Math.round(perRound * share),
      );
      chosen.forEach((p) => busy.add(p.key));
      return chosen;
    };
    const active = people.filter((p) => !p.deleted && p.active);
    const inactive = people.filter((p) => !p.deleted && !p.active);
    const edit = (p: IntendedPerson): Intent => ({
      kind: 'edit-person',
      person: p.key,
      profile: editedProfile(p.profile, this.random, this.serial++, admins.has(p.key)),
    });
    const setActive =
      (value: boolean) =>
      (p: IntendedPerson): Intent => ({ kind: 'set-active', person: p.key, active: value });
    // Entra DELETEs people some time after it deactivated them (idp-behaviour.md §2.3); Okta never does.
    const leavers = take(
      inactive.filter((p) => p.dialect.startsWith('entra')),
      0.05,
    );
    // Returners with held edits first: their reactivation is the step that writes those edits to Metabase.
    const returners = [
      ...take(
        inactive.filter((p) => this.editedWhileAway.has(p.key)),
        0.2,
      ),
      ...take(inactive, 0.1),
    ];
    returners.forEach((p) => this.editedWhileAway.delete(p.key));
    const awayEdits = take(inactive, 0.2);
    awayEdits.forEach((p) => this.editedWhileAway.add(p.key));
    return [
      ...[
        ...take(
          active.filter((p) => admins.has(p.key)),
          0.1,
        ),
        ...take(active, 0.2),
      ].map(setActive(false)),
      ...take(active, 0.25).map(edit),
      ...returners.map(setActive(true)),
      ...awayEdits.map(edit),
      ...leavers.map((p): Intent => ({ kind: 'delete-person', person: p.key })),
      // Half as many re-creates as DELETEs, so some DELETEd people stay DELETEd through later faults.
      ...take(
        people.filter((p) => p.deleted),
        0.025,
      ).map((p): Intent => ({ kind: 'create-person', person: p.key, profile: p.profile })),
    ];
  }

  /** Member changes on `count` groups, among active people no other intent of the round touches. */
  memberChanges(count: number, busy: Set<string>, groupKeys: string[], maxAdds = 5): Intent[] {
    const free = this.intended
      .livePeople()
      .filter((p) => p.active && !busy.has(p.key))
      .map((p) => p.key);
    return sample(this.random, groupKeys, count).flatMap((groupKey): Intent[] => {
      const group = this.intended.group(groupKey);
      const candidates = free.filter((key) => !group.members.has(key));
      const add = sample(this.random, candidates, between(this.random, 1, maxAdds));
      const remove = sample(
        this.random,
        [...group.members].filter((key) => !busy.has(key)),
        between(this.random, 0, 3),
      );
      return add.length + remove.length === 0 ? [] : [{ kind: 'change-members', group: groupKey, add, remove }];
    });
  }

  churn(size: WorkloadSize, deleteGroup: boolean): Intent[] {
    const busy = new Set<string>();
    const intents = this.lifecycle(size.lifecyclePerRound, busy);
    const groupKeys = this.intended.liveGroups().map((g) => g.key);
    const doomed = deleteGroup
      ? pick(
          this.random,
          groupKeys.filter((key) => key !== ADMIN_GROUP.key),
        )
      : null;
    intents.push(
      ...this.memberChanges(
        size.memberChangesPerRound,
        busy,
        groupKeys.filter((key) => key !== doomed),
      ),
    );
    if (doomed) intents.push({ kind: 'delete-group', group: doomed });
    return intents;
  }
}

export function generateWorkload(seed: number, size: WorkloadSize = DEFAULT_SIZE): Workload {
  const g = new Generator(seed);
  g.round(g.groups(size.groups));
  const batches = 3;
  for (let b = 0; b < batches; b++) {
    const [from, to] = [Math.floor((size.people * b) / batches), Math.floor((size.people * (b + 1)) / batches)];
    const joining = g.joiners(from, to);
    // Earlier joiners get their first groups while the next batch is created (joiners exist only after the round);
    // bi-admins gets up to ten of them per batch, so that admins are among the leavers and returners.
    const groupKeys = g.intended
      .liveGroups()
      .map((group) => group.key)
      .filter((key) => key !== ADMIN_GROUP.key);
    const first = g.memberChanges(Math.ceil(size.groups / 2), new Set(), groupKeys);
    const admins = b === 0 ? [] : g.memberChanges(1, new Set(), [ADMIN_GROUP.key], 10);
    g.round([...joining, ...first, ...admins]);
  }
  for (let r = 0; r < size.churnRounds; r++) {
    g.round(g.churn(size, r >= size.churnRounds - size.groupDeletes));
  }
  return { seed, rounds: g.rounds, intended: g.intended };
}
