/**
 * A course ready for automatic issuance: issuer, platform, context, one achievement with
 * criteria and its "Badge: NAME" line item. Fixtures are named by scenario.
 */
import type { Queryable } from '../../../src/storage/database.ts';
import { createAchievementRepository, type Achievement } from '../../../src/storage/achievement-repository.ts';
import { createIssuerRepository } from '../../../src/storage/issuer-repository.ts';
import { createUserRepository } from '../../../src/storage/user-repository.ts';
import type { Criteria } from '../../../src/criteria/index.ts';

export interface CourseFixture {
  issuerId: string;
  platformId: string;
  contextId: string;
  lmsContextId: string;
  achievement: Achievement;
  lineItemUrl: string;
}

export const quiz3AtLeast80: Criteria = { kind: 'all', rules: [{ kind: 'score', activity: 'quiz3', label: 'Quiz 3', minPercent: 80 }] };

export async function seedCourse(
  db: Queryable,
  {
    criteria = quiz3AtLeast80,
    locale = 'en',
    lmsContextId = 'course-101',
    policy = 'keep',
    name = 'Data Literacy',
    learners = ['ana', 'beto', 'carla'],
    lineItem = true,
    platform = { iss: 'https://lms.example', clientId: 'client-1' },
    agsLineItemsUrl = null,
  }: {
    criteria?: Criteria;
    locale?: string;
    lmsContextId?: string;
    policy?: 'keep' | 'revoke';
    name?: string;
    learners?: readonly string[];
    /**
     * The achievement's "Badge: NAME" line item. True: a made-up URL (for a recording
     * gradebook); a URL: that line item, e.g. one the sandbox LMS holds; false: a course
     * without AGS (nothing to post to; the pipeline records the skip).
     */
    lineItem?: boolean | string;
    /** The LMS the course lives in; an already registered platform (admin API) is reused. */
    platform?: { iss: string; clientId: string };
    /** The course's AGS line items service (the launch's `lineitems` claim). */
    agsLineItemsUrl?: string | null;
  } = {},
): Promise<CourseFixture> {
  const issuer = await createIssuerRepository(db).upsert({
    slug: 'default',
    name: 'Universidad de Prueba',
    url: 'https://u.example',
    email: null,
    imageUrl: null,
    description: null,
    didMethod: 'web',
  });
  const platformRow = await db.query<{ id: string }>(
    `INSERT INTO platforms (issuer_id, iss, client_id, name, product) VALUES ($1, $2, $3, 'Test LMS', 'moodle')
     ON CONFLICT (iss, client_id) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [issuer.id, platform.iss, platform.clientId],
  );
  const platformId = platformRow.rows[0]!.id;
  const context = await db.query<{ id: string }>(
    `INSERT INTO contexts (platform_id, lms_context_id, title, locale, last_launch_at, ags_lineitems_url) VALUES ($1, $2, 'Course', $3, now(), $4)
     RETURNING id`,
    [platformId, lmsContextId, locale, agsLineItemsUrl],
  );
  const contextId = context.rows[0]!.id;
  const achievements = createAchievementRepository(db);
  const achievement = await achievements.create({ issuerId: issuer.id, contextId, name, criteria, belowCriteriaPolicy: policy });
  const lineItemUrl = typeof lineItem === 'string' ? lineItem : `https://lms.example/api/lti/courses/${lmsContextId}/line_items/${achievement.id}`;
  await achievements.link({ achievementId: achievement.id, contextId, resourceLinkId: 'rl-1', lineItemUrl: lineItem ? lineItemUrl : null });
  const course = { issuerId: issuer.id, platformId, contextId, lmsContextId, achievement, lineItemUrl };
  await enrolLearners(db, course, learners);
  return course;
}

/** Learners as a roster (NRPS) or launch leaves them: with a name and an email to issue to. */
export async function enrolLearners(db: Queryable, course: CourseFixture, subs: readonly string[]): Promise<void> {
  const users = createUserRepository(db);
  for (const sub of subs) {
    const user = await users.upsert({ platformId: course.platformId, sub, name: `Learner ${sub}`, email: `${sub}@u.example` });
    await db.query(`INSERT INTO enrollments (context_id, user_id, roles) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      course.contextId,
      user.id,
      ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
    ]);
  }
}
