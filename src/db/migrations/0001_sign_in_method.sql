ALTER TABLE `users` ADD `admin_source` text;--> statement-breakpoint
ALTER TABLE `users` ADD `authenticator` text;