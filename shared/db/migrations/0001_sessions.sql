CREATE TABLE "configuration" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"name" text NOT NULL,
	"notes" text,
	"status" text DEFAULT 'building' NOT NULL,
	"error" text,
	"sandbox_provider" text DEFAULT 'local' NOT NULL,
	"snapshot_id" text,
	"snapshot_version_key" text,
	"agent_command" text,
	"service_commands" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"env_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "configuration_repo" (
	"configuration_id" text NOT NULL,
	"repo_id" text NOT NULL,
	"workspace_path" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "configuration_repo_configuration_id_repo_id_pk" PRIMARY KEY("configuration_id","repo_id")
);
--> statement-breakpoint
CREATE TABLE "pending_prompt" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"message_id" text NOT NULL,
	"content" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "preview_share" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"organization_id" text NOT NULL,
	"port" integer NOT NULL,
	"kind" text NOT NULL,
	"created_by" text,
	"revoked" boolean DEFAULT false NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "repo" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"name" text NOT NULL,
	"source" text NOT NULL,
	"url" text NOT NULL,
	"default_branch" text DEFAULT 'main' NOT NULL,
	"added_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_session" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"created_by" text,
	"configuration_id" text,
	"session_type" text DEFAULT 'coding' NOT NULL,
	"client_type" text DEFAULT 'web' NOT NULL,
	"title" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"pause_reason" text,
	"stop_reason" text,
	"outcome" text,
	"summary" text,
	"sandbox_provider" text NOT NULL,
	"sandbox_id" text,
	"provider_sandbox_id" text,
	"snapshot_id" text,
	"snapshot_version_key" text,
	"initial_prompt" text,
	"system_prompt" text,
	"agent_config" jsonb,
	"event_seq" bigint DEFAULT 0 NOT NULL,
	"metrics" jsonb DEFAULT '{"toolCalls":0,"messagesExchanged":0,"activeSeconds":0}'::jsonb NOT NULL,
	"pr_urls" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"latest_task" text,
	"sandbox_expires_at" timestamp with time zone,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_alive_at" timestamp with time zone,
	"agent_busy" boolean DEFAULT false NOT NULL,
	"snapshot_ready_request_id" text,
	"last_error" text,
	"idle_timeout_minutes" integer DEFAULT 30 NOT NULL,
	"started_at" timestamp with time zone,
	"running_since" timestamp with time zone,
	"paused_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "session_event" (
	"session_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"source_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_event_session_id_seq_pk" PRIMARY KEY("session_id","seq")
);
--> statement-breakpoint
CREATE TABLE "session_subscription" (
	"connection_id" text NOT NULL,
	"session_id" text NOT NULL,
	"user_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_subscription_connection_id_session_id_pk" PRIMARY KEY("connection_id","session_id")
);
--> statement-breakpoint
CREATE TABLE "session_tool_call" (
	"session_id" text NOT NULL,
	"tool_call_id" text NOT NULL,
	"tool" text NOT NULL,
	"status" text NOT NULL,
	"args" jsonb,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "session_tool_call_session_id_tool_call_id_pk" PRIMARY KEY("session_id","tool_call_id")
);
--> statement-breakpoint
ALTER TABLE "ws_connection" ADD COLUMN "sandbox_id" text;--> statement-breakpoint
ALTER TABLE "configuration" ADD CONSTRAINT "configuration_organization_id_organization_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organization"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "configuration" ADD CONSTRAINT "configuration_created_by_user_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "configuration_repo" ADD CONSTRAINT "configuration_repo_configuration_id_configuration_id_fk" FOREIGN KEY ("configuration_id") REFERENCES "public"."configuration"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "configuration_repo" ADD CONSTRAINT "configuration_repo_repo_id_repo_id_fk" FOREIGN KEY ("repo_id") REFERENCES "public"."repo"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_prompt" ADD CONSTRAINT "pending_prompt_session_id_sandbox_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sandbox_session"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "preview_share" ADD CONSTRAINT "preview_share_session_id_sandbox_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sandbox_session"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "preview_share" ADD CONSTRAINT "preview_share_created_by_user_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repo" ADD CONSTRAINT "repo_organization_id_organization_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organization"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repo" ADD CONSTRAINT "repo_added_by_user_id_fk" FOREIGN KEY ("added_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sandbox_session" ADD CONSTRAINT "sandbox_session_organization_id_organization_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organization"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sandbox_session" ADD CONSTRAINT "sandbox_session_created_by_user_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."user"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sandbox_session" ADD CONSTRAINT "sandbox_session_configuration_id_configuration_id_fk" FOREIGN KEY ("configuration_id") REFERENCES "public"."configuration"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_event" ADD CONSTRAINT "session_event_session_id_sandbox_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sandbox_session"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_subscription" ADD CONSTRAINT "session_subscription_session_id_sandbox_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sandbox_session"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_tool_call" ADD CONSTRAINT "session_tool_call_session_id_sandbox_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sandbox_session"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "configuration_org_idx" ON "configuration" USING btree ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "configuration_org_name_uidx" ON "configuration" USING btree ("organization_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "configuration_repo_path_uidx" ON "configuration_repo" USING btree ("configuration_id","workspace_path");--> statement-breakpoint
CREATE INDEX "pending_prompt_session_idx" ON "pending_prompt" USING btree ("session_id","created_at");--> statement-breakpoint
CREATE INDEX "preview_share_session_idx" ON "preview_share" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "repo_org_idx" ON "repo" USING btree ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "repo_org_url_uidx" ON "repo" USING btree ("organization_id","url");--> statement-breakpoint
CREATE INDEX "sandbox_session_org_idx" ON "sandbox_session" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "sandbox_session_status_idx" ON "sandbox_session" USING btree ("status");--> statement-breakpoint
CREATE INDEX "sandbox_session_configuration_idx" ON "sandbox_session" USING btree ("configuration_id");--> statement-breakpoint
CREATE INDEX "sandbox_session_expiry_idx" ON "sandbox_session" USING btree ("sandbox_expires_at") WHERE status = 'running';--> statement-breakpoint
CREATE UNIQUE INDEX "session_event_source_uidx" ON "session_event" USING btree ("session_id","source_key");--> statement-breakpoint
CREATE INDEX "session_subscription_session_idx" ON "session_subscription" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "ws_connection_session_idx" ON "ws_connection" USING btree ("session_id");