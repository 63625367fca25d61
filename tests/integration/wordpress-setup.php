<?php
// Run by wordpress.sh with php-cli after the install form: a publishing user (role editor) with an application
// password, pretty permalinks so that /wp-json/ routes, and uploads kept in a folder of the test's own.
// Usage: php wordpress-setup.php WP_ROOT LOGIN PASSWORD_FILE UPLOADS_DIR UPLOADS_URL
[, $root, $login, $out, $uploads_dir, $uploads_url] = $argv;
$_SERVER['HTTP_HOST'] = '127.0.0.1';  // Debian's wp-config.php picks config-127.0.0.1.php from it
require $root . '/wp-load.php';

$user_id = wp_insert_user([
    'user_login' => $login,
    'user_pass' => wp_generate_password(24),
    'user_email' => $login . '@example.org',
    'role' => 'editor',
]);
if (is_wp_error($user_id)) {
    fwrite(STDERR, 'cannot create the user: ' . $user_id->get_error_message() . "\n");
    exit(1);
}
$created = WP_Application_Passwords::create_new_application_password($user_id, ['name' => 'publisher tests']);
if (is_wp_error($created)) {
    fwrite(STDERR, 'cannot create the application password: ' . $created->get_error_message() . "\n");
    exit(1);
}
update_option('upload_path', $uploads_dir);  // an absolute path is used as it is
update_option('upload_url_path', $uploads_url);
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);
file_put_contents($out, $created[0]);
