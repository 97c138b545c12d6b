-- Where an achievement's image came from, so the instructor's page can show and edit it:
-- an upload (PNG or a sanitized SVG) or a design made in the page (its parameters, to
-- fill the designer again). The image itself stays in achievements.image_url as a data:
-- URI: that is what credentials carry and what the baked PNG renderer reads.
CREATE TABLE achievement_images (
  achievement_id uuid PRIMARY KEY REFERENCES achievements (id) ON DELETE CASCADE,
  source text NOT NULL CHECK (source IN ('upload', 'design')),
  media_type text NOT NULL CHECK (media_type IN ('image/png', 'image/svg+xml')),
  design jsonb,
  byte_size integer NOT NULL CHECK (byte_size >= 0),
  updated_by text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
