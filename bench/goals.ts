// The figures each bench row is judged against; BENCHMARKS.md says where each comes from.
export const GOALS = {
  addedP50Ms: 1,
  addedP99Ms: 5,
  /** bi-scim's CPU per read or filter over the bare pass-through proxy's for the same BI call. */
  cpuRatio: 1.5,
  provisioningRatio: 1.1,
  /** RSS during a push and at rest, and after a push (the soak included); the MB are 10^6 bytes. */
  memoryPeakBytes: 150e6,
  memoryAfterBytes: 130e6,
  /** Mean RSS of the soak's last fifth over its second (the first is warm-up). */
  soakGrowthBytes: 10 * 1024 ** 2,
};
