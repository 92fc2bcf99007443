ALTER TABLE `servers` ADD `cull_reason` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `culled_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `auth_groups` text DEFAULT '[]' NOT NULL;