/**
 * The persistence compliance kit (`@troupe/persistence/tck`) against the real Kafka
 * started by the globalSetup: KafkaJournal and KafkaSnapshotStore, exactly as a
 * third-party plugin would run it, with a sibling instance (own connections, empty caches)
 * for the single-writer cases, and the two-incarnations actor scenario. Every test uses fresh persistence ids (fresh topics);
 * the topics this file created are deleted at the end.
 */
import { Admin } from '@platformatic/kafka';
import { EmptyEventTopicMapper, KafkaJournal, KafkaSnapshotStore } from '@troupe/persistence-kafka';
import { persistencePluginTck, twoIncarnationsSpec } from '@troupe/persistence/tck';
import { afterAll, describe } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';

const prefix = `tck${Date.now().toString(36)}-`;

describe.skipIf(!kafkaAvailable())('Kafka plugins against the real broker', () => {
  const brokers = kafkaBrokers();

  // No event topics here: the TCK checks the journal; event topics have their own suite.
  // Tag topics and the ids topic of this run only, so the query cases see this run's writes.
  const journal = () =>
    KafkaJournal.connect({
      brokers,
      journalTopicPrefix: `${prefix}j-`,
      tagTopicPrefix: `${prefix}t-`,
      persistenceIdsTopic: `${prefix}ids`,
      maxPayloadBytes: 2 * 1024 * 1024,
      eventTopicMapper: EmptyEventTopicMapper,
    });
  const snapshotStore = () => KafkaSnapshotStore.connect({ brokers, snapshotTopicPrefix: `${prefix}s-` });

  persistencePluginTck({
    name: 'KafkaJournal',
    journal: {
      create: journal,
      rejectsPayloadsAbove: 2 * 1024 * 1024,
      // A new instance (new connections, empty caches) on the same topics.
      reopen: async (old) => {
        await old.close?.();
        return journal();
      },
      // A second process's journal: its own connections and caches on the same topics.
      openSibling: () => journal(),
    },
    snapshotStore: {
      create: snapshotStore,
      reopen: async (old) => {
        await old.close?.();
        return snapshotStore();
      },
    },
  });

  // Three actor systems, each with its own KafkaJournal (as three processes), one persistence id.
  twoIncarnationsSpec('KafkaJournal', { openJournal: journal, stepTimeoutMs: 30_000 });

  afterAll(async () => {
    const admin = new Admin({ clientId: 'tck-cleanup', bootstrapBrokers: brokers });
    try {
      const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
      for (let i = 0; i < ours.length; i += 500) await admin.deleteTopics({ topics: ours.slice(i, i + 500) });
    } finally {
      await admin.close();
    }
  });
});
