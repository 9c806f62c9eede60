// Create or update the one pull-request comment that carries `marker`, so reruns edit it in place.
// Used from actions/github-script: `await require('./.github/scripts/sticky-comment.js')({github, context}, marker, body)`.
const LIMIT = 65000; // GitHub rejects comment bodies over 65536 characters.

module.exports = async ({ github, context }, marker, body) => {
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  let text = `${marker}\n${body}`;
  if (text.length > LIMIT) {
    text = `${text.slice(0, LIMIT)}\n\n_(truncated; the full text is in the job summary)_`;
  }
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  const existing = comments.find((c) => c.user?.type === 'Bot' && c.body?.includes(marker));
  if (existing) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body: text });
  } else {
    await github.rest.issues.createComment({ owner, repo, issue_number, body: text });
  }
};
