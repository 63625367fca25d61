<?php
// Router for PHP's built-in server (wordpress.sh): does what Apache's rewrite rules and Debian's Alias do.
// Uploads live in the test's own folder (WORDPRESS_UPLOADS_DIR, set as upload_path by wordpress-setup.php),
// outside the document root; Debian's wp-content (themes, plugins) is /var/lib/wordpress/wp-content.
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
$folders = [
    '/wp-content/uploads/' => getenv('WORDPRESS_UPLOADS_DIR') ?: '/var/lib/wordpress/wp-content/uploads',
    '/wp-content/' => '/var/lib/wordpress/wp-content',
];
$types = ['png' => 'image/png', 'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'gif' => 'image/gif',
          'webp' => 'image/webp', 'css' => 'text/css', 'js' => 'text/javascript', 'svg' => 'image/svg+xml'];
foreach ($folders as $prefix => $folder) {
    if (!str_starts_with($path, $prefix)) {
        continue;
    }
    $base = realpath($folder);
    $file = realpath($folder . '/' . substr($path, strlen($prefix)));
    // only plain files inside the folder, never PHP
    if ($base !== false && $file !== false && str_starts_with($file, $base . '/') && is_file($file)
        && !str_ends_with($file, '.php')) {
        $extension = strtolower(pathinfo($file, PATHINFO_EXTENSION));
        header('Content-Type: ' . ($types[$extension] ?? 'application/octet-stream'));
        header('Content-Length: ' . filesize($file));
        readfile($file);
        return true;
    }
    break;
}

$target = $_SERVER['DOCUMENT_ROOT'] . $path;
if ($path !== '/' && (is_file($target) || is_file(rtrim($target, '/') . '/index.php'))) {
    return false;  // a real file or a folder with index.php (wp-admin/): the built-in server handles it
}

// everything else (/, /wp-json/..., permalinks) goes to WordPress's front controller
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
chdir($_SERVER['DOCUMENT_ROOT']);
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
