// Wraps any MappingStore to count failed operations and time lock waits, without touching either implementation.
import type { Metrics } from '../metrics.ts';
import type { MappingStore } from './mapping-store.ts';

export function instrumentStore(store: MappingStore, metrics: Metrics): MappingStore {
  const counted =
    <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        metrics.storeError(operation);
        throw err;
      }
    };
  return {
    kind: store.kind,
    get: counted('get', store.get.bind(store)),
    getMany: counted('getMany', store.getMany.bind(store)),
    put: counted('put', store.put.bind(store)),
    remove: counted('remove', store.remove.bind(store)),
    findId: counted('findId', store.findId.bind(store)),
    deletedIds: counted('deletedIds', store.deletedIds.bind(store)),
    withLock: (key, fn, options) => {
      const asked = performance.now();
      return counted('withLock', store.withLock.bind(store))(
        key,
        () => {
          metrics.lockWait((performance.now() - asked) / 1000);
          return fn();
        },
        options,
      );
    },
    putToken: counted('putToken', store.putToken.bind(store)),
    listTokens: counted('listTokens', store.listTokens.bind(store)),
    deleteToken: counted('deleteToken', store.deleteToken.bind(store)),
    append: counted('append', store.append.bind(store)),
    readStream: counted('readStream', store.readStream.bind(store)),
    admit: counted('admit', store.admit.bind(store)),
    countWindow: counted('countWindow', store.countWindow.bind(store)),
    clearWindow: counted('clearWindow', store.clearWindow.bind(store)),
    getValue: counted('getValue', store.getValue.bind(store)),
    setValue: counted('setValue', store.setValue.bind(store)),
    deleteValue: counted('deleteValue', store.deleteValue.bind(store)),
    putEntry: counted('putEntry', store.putEntry.bind(store)),
    getEntries: counted('getEntries', store.getEntries.bind(store)),
    deleteEntry: counted('deleteEntry', store.deleteEntry.bind(store)),
    ping: counted('ping', store.ping.bind(store)),
    close: () => store.close(),
  };
}
