CREATE TABLE "sandbox_base_snapshot" (
	"provider" text NOT NULL,
	"version_key" text NOT NULL,
	"status" text DEFAULT 'building' NOT NULL,
	"build_id" text NOT NULL,
	"snapshot_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sandbox_base_snapshot_provider_version_key_pk" PRIMARY KEY("provider","version_key")
);
