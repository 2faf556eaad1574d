package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// MaxItemBytes is DynamoDB's item size limit (400 KB).
const MaxItemBytes = 400 * 1024

// fakeDynamoDB is the state table behind refresher.DynamoDBAPI, with DynamoDB's semantics for
// what the store uses: strongly consistent GetItem, PutItem with a condition expression, the
// 400 KB item limit and write units of 1 KB. A condition it does not model, an unused or
// undefined expression name or value, or an eventually consistent read makes the run fail
// (Run returns the error): the simulator must not silently accept what it cannot judge.
type fakeDynamoDB struct {
	w     *world
	sc    *Scenario
	r     *Result
	items map[string]map[string]types.AttributeValue
	// unsupported is the first request the fake could not judge.
	unsupported error
	// desired is the stored State.Desired as of the last write by an invocation carrying
	// changes; onRecord learns which write recorded which uploads.
	desired  int64
	onRecord func(uploads []int, desired int64)
}

var _ refresher.DynamoDBAPI = (*fakeDynamoDB)(nil)

func newFakeDynamoDB(w *world, sc *Scenario, r *Result) *fakeDynamoDB {
	return &fakeDynamoDB{w: w, sc: sc, r: r, items: map[string]map[string]types.AttributeValue{}}
}

// fail records a request the fake cannot judge and returns the ValidationException DynamoDB
// would most likely answer.
func (t *fakeDynamoDB) fail(op, format string, args ...any) error {
	err := fmt.Errorf("fake DynamoDB %s: "+format, append([]any{op}, args...)...)
	if t.unsupported == nil {
		t.unsupported = err
	}
	return dynamoDBError(op, validation(err.Error()))
}

func (t *fakeDynamoDB) key(op string, table *string, key map[string]types.AttributeValue) (string, error) {
	if aws.ToString(table) != TableName {
		return "", dynamoDBError(op, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")})
	}
	v, ok := key[refresher.TableKey].(*types.AttributeValueMemberS)
	if !ok || v.Value == "" {
		return "", dynamoDBError(op, validation("One or more parameter values were invalid: Missing the key "+refresher.TableKey+" in the item"))
	}
	return v.Value, nil
}

// GetItem implements refresher.DynamoDBAPI.
func (t *fakeDynamoDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	p := procOf(ctx)
	p.latency()
	const op = "GetItem"
	k, err := t.key(op, in.TableName, in.Key)
	if err != nil {
		return nil, err
	}
	if len(in.Key) != 1 {
		return nil, dynamoDBError(op, validation("The provided key element does not match the schema"))
	}
	if !aws.ToBool(in.ConsistentRead) {
		return nil, t.fail(op, "eventually consistent read of %q: the simulator models strongly consistent reads only", k)
	}
	if in.ProjectionExpression != nil {
		return nil, t.fail(op, "ProjectionExpression %q is not modeled", aws.ToString(in.ProjectionExpression))
	}
	if t.w.chance(t.sc.Faults.ThrottleStore) {
		t.r.Throttled++
		return nil, dynamoDBError(op, &types.ProvisionedThroughputExceededException{Message: aws.String("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")})
	}
	return &dynamodb.GetItemOutput{Item: cloneItem(t.items[k])}, nil
}

// PutItem implements refresher.DynamoDBAPI.
func (t *fakeDynamoDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	p := procOf(ctx)
	p.latency()
	const op = "PutItem"
	k, err := t.key(op, in.TableName, in.Item)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != types.ReturnValueNone {
		return nil, t.fail(op, "ReturnValues %q is not modeled", in.ReturnValues)
	}
	size := itemSize(in.Item)
	t.r.MaxItemBytes = max(t.r.MaxItemBytes, size)
	if size > MaxItemBytes {
		t.r.TooLarge++
		t.w.logf("%s: DynamoDB: item of %d bytes refused", p.name, size)
		return nil, dynamoDBError(op, validation("Item size has exceeded the maximum allowed size"))
	}
	ok, err := t.condition(op, in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, t.items[k])
	if err != nil {
		return nil, err
	}
	if t.w.chance(t.sc.Faults.ThrottleStore) {
		t.r.Throttled++
		return nil, dynamoDBError(op, &types.ProvisionedThroughputExceededException{Message: aws.String("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")})
	}
	if !ok {
		t.r.Conflicts++
		return nil, dynamoDBError(op, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")})
	}
	t.items[k] = cloneItem(in.Item)
	t.r.Writes++
	t.r.WriteUnits += (size + 1023) / 1024
	if len(p.uploads) > 0 {
		// Only recording raises Desired: this write recorded the invocation's changes.
		if st, ok := t.intent(); ok {
			if st.Desired > t.desired && t.onRecord != nil {
				t.onRecord(p.uploads, st.Desired)
				p.uploads = nil
			}
			t.desired = st.Desired
		}
	}
	crashPoint(p, "after a DynamoDB write, before its answer arrived")
	return &dynamodb.PutItemOutput{}, nil
}

// state decodes the stored state of the scenario's endpoint (false when there is none).
func (t *fakeDynamoDB) state() (refresh.State, bool) {
	var st refresh.State
	return st, t.decode(&st)
}

// storedIntent is the part of the stored state the simulator's bookkeeping reads on every
// write (decoding the whole state each time would dominate the run).
type storedIntent struct {
	Desired  int64               `json:"desired"`
	InFlight *refresh.Deployment `json:"inFlight"`
}

func (t *fakeDynamoDB) intent() (storedIntent, bool) {
	var st storedIntent
	return st, t.decode(&st)
}

func (t *fakeDynamoDB) decode(v any) bool {
	blob, ok := t.items[EndpointName][refresher.AttrState].(*types.AttributeValueMemberS)
	return ok && json.Unmarshal([]byte(blob.Value), v) == nil
}

// The condition expression forms the store uses; anything else fails the run.
var (
	condNotExists = regexp.MustCompile(`^attribute_not_exists\(\s*(#\w+|\w+)\s*\)$`)
	condExists    = regexp.MustCompile(`^attribute_exists\(\s*(#\w+|\w+)\s*\)$`)
	condEquals    = regexp.MustCompile(`^(#\w+|\w+)\s*=\s*(:\w+)$`)
)

// condition evaluates a condition expression (terms joined by AND) against the stored item
// (nil when there is none), with DynamoDB's rules: every name and value placeholder must be
// defined and used, a missing attribute fails a comparison, values compare only with their own
// type, and numbers compare as numbers.
func (t *fakeDynamoDB) condition(op string, expr *string, names map[string]string, values map[string]types.AttributeValue, item map[string]types.AttributeValue) (bool, error) {
	if expr == nil {
		if len(names)+len(values) > 0 {
			return false, dynamoDBError(op, validation("ExpressionAttributeNames and ExpressionAttributeValues can only be specified when using expressions"))
		}
		return true, nil
	}
	usedNames, usedValues := map[string]bool{}, map[string]bool{}
	name := func(ref string) (string, error) {
		if !strings.HasPrefix(ref, "#") {
			return ref, nil
		}
		n, ok := names[ref]
		if !ok {
			return "", dynamoDBError(op, validation("Value provided in ExpressionAttributeNames unused in expressions: An expression attribute name used in the document path is not defined; attribute name: "+ref))
		}
		usedNames[ref] = true
		return n, nil
	}
	result := true
	for _, term := range strings.Split(*expr, " AND ") {
		term = strings.TrimSpace(term)
		switch {
		case condNotExists.MatchString(term), condExists.MatchString(term):
			m := condNotExists.FindStringSubmatch(term)
			exists := false
			if m == nil {
				m, exists = condExists.FindStringSubmatch(term), true
			}
			n, err := name(m[1])
			if err != nil {
				return false, err
			}
			_, present := item[n]
			result = result && present == exists
		case condEquals.MatchString(term):
			m := condEquals.FindStringSubmatch(term)
			n, err := name(m[1])
			if err != nil {
				return false, err
			}
			v, ok := values[m[2]]
			if !ok {
				return false, dynamoDBError(op, validation("An expression attribute value used in expression is not defined; attribute value: "+m[2]))
			}
			usedValues[m[2]] = true
			eq, err := t.equal(op, item[n], v)
			if err != nil {
				return false, err
			}
			result = result && eq
		default:
			return false, t.fail(op, "condition %q (term %q) is not one of the modeled forms attribute_not_exists(n), attribute_exists(n), n = :v joined by AND", *expr, term)
		}
	}
	for ref := range names {
		if !usedNames[ref] {
			return false, dynamoDBError(op, validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {"+ref+"}"))
		}
	}
	for ref := range values {
		if !usedValues[ref] {
			return false, dynamoDBError(op, validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {"+ref+"}"))
		}
	}
	return result, nil
}

// equal compares a stored attribute (nil when missing) with an expression value.
func (t *fakeDynamoDB) equal(op string, stored, v types.AttributeValue) (bool, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		s, ok := stored.(*types.AttributeValueMemberS)
		return ok && s.Value == v.Value, nil
	case *types.AttributeValueMemberN:
		s, ok := stored.(*types.AttributeValueMemberN)
		if !ok {
			return false, nil
		}
		a, okA := new(big.Rat).SetString(s.Value)
		b, okB := new(big.Rat).SetString(v.Value)
		if !okA || !okB {
			return false, dynamoDBError(op, validation(fmt.Sprintf("The parameter cannot be converted to a numeric value: %s", v.Value)))
		}
		return a.Cmp(b) == 0, nil
	}
	return false, t.fail(op, "comparison with a %T value is not modeled", v)
}

// itemSize is an item's size as DynamoDB counts it: attribute names plus values (strings and
// binaries by length, numbers about one byte per two digits plus one).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(v.Value, "-0"))+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		return 3 + itemSize(v.Value)
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	}
	return 0
}

// cloneItem copies an item's map (attribute values are never changed in place).
func cloneItem(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if item == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(item))
	for k, v := range item {
		out[k] = v
	}
	return out
}
