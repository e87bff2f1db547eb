"""Image references in manifests: Compose, Kubernetes, GitHub Actions and GitLab CI YAML files.

``refs.find_image_refs`` lists every image reference with its exact position (ruamel.yaml's
round-trip loader, imported only when a manifest is read); ``refs.detect_kind`` says which
kind of file a path and its text are.  A Dockerfile-only run never imports this package.
"""
