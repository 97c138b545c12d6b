import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuerRepository, type Issuer } from '../../src/storage/issuer-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

describe('core repositories', () => {
  let db: TestDatabase;
  let issuer: Issuer;
  let platformId: string;
  let contextId: string;
  beforeAll(async () => {
    db = await openTestDatabase();
    issuer = await createIssuerRepository(db).upsert({
      slug: 'uca',
      name: 'Universidad Centroamericana',
      url: 'https://uca.example.edu',
      email: null,
      imageUrl: null,
      description: null,
      didMethod: 'web',
    });
    platformId = (
      await db.query<{ id: string }>(`INSERT INTO platforms (issuer_id, iss, client_id) VALUES ($1, 'https://lms', 'c1') RETURNING id`, [
        issuer.id,
      ])
    ).rows[0]!.id;
    contextId = (
      await db.query<{ id: string }>(`INSERT INTO contexts (platform_id, lms_context_id) VALUES ($1, 'course-1') RETURNING id`, [platformId])
    ).rows[0]!.id;
  });
  afterAll(() => db.close());

  it('updates an issuer profile by slug instead of duplicating it', async () => {
    const issuers = createIssuerRepository(db);
    const renamed = await issuers.upsert({ ...issuer, name: 'UCA' });
    expect(renamed.id).toBe(issuer.id);
    expect((await issuers.findBySlug('uca'))?.name).toBe('UCA');
    expect(await issuers.findById('00000000-0000-0000-0000-000000000000')).toBeNull();
  });

  it('keeps known user fields when a later launch omits them', async () => {
    const users = createUserRepository(db);
    const first = await users.upsert({ platformId, sub: 'learner-1', name: 'Ana Pérez', email: 'ana@example.edu' });
    const again = await users.upsert({ platformId, sub: 'learner-1', locale: 'es-CR' });
    expect(again.id).toBe(first.id);
    expect(again).toMatchObject({ name: 'Ana Pérez', email: 'ana@example.edu', locale: 'es-CR', walletAddress: null });
    const withWallet = await users.setWallet(first.id, '0x52908400098527886E0F7030069857D2E4169EE7');
    expect(withWallet?.walletAddress).toBe('0x52908400098527886E0F7030069857D2E4169EE7');
  });

  it('stores achievements with criteria and alignments, lists a course, and links them', async () => {
    const achievements = createAchievementRepository(db);
    const quiz = await achievements.create({
      issuerId: issuer.id,
      contextId,
      name: 'Quiz master',
      criteria: { all: [{ kind: 'score', activity: 'quiz-3', minPercent: 80 }] },
      alignments: [{ targetName: 'Algebra', targetUrl: 'https://example.edu/algebra' }],
      tags: ['math'],
    });
    expect(quiz).toMatchObject({ name: 'Quiz master', achievementType: 'Badge', belowCriteriaPolicy: 'keep', tags: ['math'] });
    expect(quiz.criteria).toEqual({ all: [{ kind: 'score', activity: 'quiz-3', minPercent: 80 }] });
    const library = await achievements.create({ issuerId: issuer.id, name: 'Library badge' });
    expect(await achievements.listForContext(contextId)).toHaveLength(1);
    await achievements.link({ achievementId: library.id, contextId, resourceLinkId: 'rl-1', lineItemUrl: null });
    const relinked = await achievements.link({ achievementId: library.id, contextId, resourceLinkId: null, lineItemUrl: 'https://lms/li/9' });
    expect(relinked).toMatchObject({ resourceLinkId: 'rl-1', lineItemUrl: 'https://lms/li/9' });
    expect((await achievements.listForContext(contextId)).map((a) => a.name)).toEqual(['Quiz master', 'Library badge']);
    const updated = await achievements.update(quiz.id, { description: 'Score 80% on Quiz 3', belowCriteriaPolicy: 'revoke' });
    expect(updated).toMatchObject({ description: 'Score 80% on Quiz 3', belowCriteriaPolicy: 'revoke' });
    await achievements.archive(quiz.id);
    expect((await achievements.listForContext(contextId)).map((a) => a.name)).toEqual(['Library badge']);
  });
});
