/**
 * The public credential page names the learner only if they allow it (their setting on
 * the learner page, `users.show_name_publicly`).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformRepository } from '../../src/storage/platform-repository.ts';
import { createUserRepository } from '../../src/storage/user-repository.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

describe('the public credential page and the learner name', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  beforeAll(async () => {
    t = await makeCredentialsApp();
  });
  afterAll(() => t.close());

  /** A credential issued through the API to a learner Sello knows, linked as the issuance pipeline links it; its page's id. */
  async function issueToLearner(recipient: { sub: string; name: string; email: string }) {
    const issued = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ options: { achievementId: t.achievement.id, recipient: { email: recipient.email, name: recipient.name } } })
      .expect(201);
    const uuid = String(issued.body.verifiableCredential.id).replace('urn:uuid:', '');
    const platform = await createPlatformRepository(t.db).upsert({ issuerId: t.issuer.id, iss: 'https://lms.example', clientId: 'c1' });
    const learner = await createUserRepository(t.db).upsert({ platformId: platform.id, sub: recipient.sub, name: recipient.name });
    await t.db.query('UPDATE credentials SET recipient_user_id = $1 WHERE id = $2', [learner.id, `urn:uuid:${uuid}`]);
    return { uuid, learner };
  }

  it("shows the learner's name by default and hides it once the learner chooses so", async () => {
    const { uuid, learner: ana } = await issueToLearner({ sub: 'ana', name: 'Ana Pérez', email: 'ana@example.edu' });
    const named = await request(t.app).get(`/credentials/${uuid}`).expect(200);
    expect(named.text).toContain('Ana Pérez');
    await createUserRepository(t.db).setShowNamePublicly(ana.id, false);
    // At once, though that very page was just rendered and cached.
    const again = await request(t.app).get(`/credentials/${uuid}`).set('if-none-match', named.headers.etag!).expect(200);
    expect(again.text).not.toContain('Ana Pérez');
    const hidden = await request(t.app).get(`/credentials/${uuid}?lang=es`).expect(200);
    expect(hidden.text).not.toContain('Ana Pérez');
    expect(hidden.text).toContain('Credencial verificada');
  });

  // The page's fingerprint is read before the page is rendered, and the render reads the
  // setting again: a learner who shows their name during that render and hides it again
  // brings the setting back to what the fingerprint says, over a page that names them.
  it("hides the learner's name again after they showed it and hid it again while their page was being rendered", async () => {
    const { uuid, learner: bea } = await issueToLearner({ sub: 'bea', name: 'Beatriz Gómez', email: 'bea@example.edu' });
    await createUserRepository(t.db).setShowNamePublicly(bea.id, false);
    // The learner shows their name while the page verifies the credential (it resolves the issuer's DID).
    const resolveDid = t.keys.resolveDid;
    t.keys.resolveDid = async (did) => {
      t.keys.resolveDid = resolveDid;
      await createUserRepository(t.db).setShowNamePublicly(bea.id, true);
      return resolveDid(did);
    };
    try {
      const shown = await request(t.app).get(`/credentials/${uuid}`).expect(200);
      expect(shown.text).toContain('Beatriz Gómez');
    } finally {
      t.keys.resolveDid = resolveDid;
    }
    await createUserRepository(t.db).setShowNamePublicly(bea.id, false);
    const hidden = await request(t.app).get(`/credentials/${uuid}`).expect(200);
    expect(hidden.text).not.toContain('Beatriz Gómez');
  });
});
