import type { Config } from '../config.ts';
import type { Queryable } from './database.ts';

/** An issuing institution: the OB 3.0 `Profile` behind its credentials. */
export interface Issuer {
  id: string;
  slug: string;
  name: string;
  url: string;
  email: string | null;
  imageUrl: string | null;
  description: string | null;
  didMethod: 'web' | 'key';
  createdAt: Date;
}

export type IssuerProfile = Omit<Issuer, 'id' | 'createdAt'>;

const columns = `id, slug, name, url, email, image_url AS "imageUrl", description, did_method AS "didMethod", created_at AS "createdAt"`;

export interface IssuerRepository {
  findById(id: string): Promise<Issuer | null>;
  findBySlug(slug: string): Promise<Issuer | null>;
  list(): Promise<Issuer[]>;
  /**
   * Creates the issuer, or updates its profile when the slug exists, unless an
   * administrator edited that profile (`updateProfile`): their edits stay.
   */
  upsert(profile: IssuerProfile): Promise<Issuer>;
  /** An administrator's edit of the profile (/admin/issuer); null when there is no such issuer. */
  updateProfile(id: string, profile: Pick<Issuer, 'name' | 'url' | 'email' | 'imageUrl' | 'description'>): Promise<Issuer | null>;
  /** Stores an uploaded logo and points the profile's image at `imageUrl` (where it is served). */
  setLogo(id: string, logo: { bytes: Buffer; mediaType: 'image/png' | 'image/svg+xml'; imageUrl: string }): Promise<Issuer | null>;
  /** The uploaded logo of the issuer with this slug; null when it has none. */
  findLogo(slug: string): Promise<{ bytes: Buffer; mediaType: 'image/png' | 'image/svg+xml' } | null>;
}

export function createIssuerRepository(db: Queryable): IssuerRepository {
  return {
    async findById(id) {
      const { rows } = await db.query<Issuer>(`SELECT ${columns} FROM issuers WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },
    async findBySlug(slug) {
      const { rows } = await db.query<Issuer>(`SELECT ${columns} FROM issuers WHERE slug = $1`, [slug]);
      return rows[0] ?? null;
    },
    async list() {
      const { rows } = await db.query<Issuer>(`SELECT ${columns} FROM issuers ORDER BY created_at, slug`);
      return rows;
    },
    async upsert(p) {
      const { rows } = await db.query<Issuer>(
        `INSERT INTO issuers (slug, name, url, email, image_url, description, did_method)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (slug) DO UPDATE SET did_method = EXCLUDED.did_method,
           name = CASE WHEN issuers.profile_edited_at IS NULL THEN EXCLUDED.name ELSE issuers.name END,
           url = CASE WHEN issuers.profile_edited_at IS NULL THEN EXCLUDED.url ELSE issuers.url END,
           email = CASE WHEN issuers.profile_edited_at IS NULL THEN EXCLUDED.email ELSE issuers.email END,
           image_url = CASE WHEN issuers.profile_edited_at IS NULL THEN EXCLUDED.image_url ELSE issuers.image_url END,
           description = CASE WHEN issuers.profile_edited_at IS NULL THEN EXCLUDED.description ELSE issuers.description END
         RETURNING ${columns}`,
        [p.slug, p.name, p.url, p.email, p.imageUrl, p.description, p.didMethod],
      );
      return rows[0]!;
    },
    async updateProfile(id, p) {
      const { rows } = await db.query<Issuer>(
        `UPDATE issuers SET name = $2, url = $3, email = $4, image_url = $5, description = $6, profile_edited_at = now()
         WHERE id = $1 RETURNING ${columns}`,
        [id, p.name, p.url, p.email, p.imageUrl, p.description],
      );
      return rows[0] ?? null;
    },
    async setLogo(id, logo) {
      const { rows } = await db.query<Issuer>(
        `UPDATE issuers SET logo = $2, logo_type = $3, image_url = $4, profile_edited_at = now() WHERE id = $1 RETURNING ${columns}`,
        [id, logo.bytes, logo.mediaType, logo.imageUrl],
      );
      return rows[0] ?? null;
    },
    async findLogo(slug) {
      const { rows } = await db.query<{ logo: Uint8Array | null; logo_type: 'image/png' | 'image/svg+xml' | null }>(`SELECT logo, logo_type FROM issuers WHERE slug = $1`, [slug]);
      const row = rows[0];
      return row?.logo && row.logo_type ? { bytes: Buffer.from(row.logo), mediaType: row.logo_type } : null;
    },
  };
}

/** The deployment's own issuer (slug `default`), from the ISSUER_* settings. */
export const DEFAULT_ISSUER_SLUG = 'default';

/** The default issuer's profile as the ISSUER_* settings describe it. */
export function defaultIssuerProfile(settings: Config['issuer']): IssuerProfile {
  return {
    slug: DEFAULT_ISSUER_SLUG,
    name: settings.name,
    url: settings.url,
    email: settings.email,
    imageUrl: settings.image,
    description: settings.description,
    didMethod: settings.didMethod,
  };
}
